import pytest

from finweek_desktop.core.dates import PartialDate, normalize_date


@pytest.mark.parametrize(
    "text, stored",
    [("2020", "2020"), ("2020-11", "2020-11"), ("2020-11-20", "2020-11-20"), ("2020/11/5", "2020-11-05"), ("", None)],
)
def test_partial_dates_are_stored_as_reduced_iso(text, stored):
    assert normalize_date(text) == stored


@pytest.mark.parametrize("text", ["20-11", "2020-13", "2020-02-30", "November 2020"])
def test_invalid_dates_are_refused_with_a_message(text):
    with pytest.raises(ValueError, match="invalid date"):
        normalize_date(text)


def test_year_sorts_before_its_months_and_days():
    dates = [PartialDate.parse(t) for t in ("2020-11-20", "2020", "2019-12", "2020-11")]
    assert [d.iso() for d in sorted(dates, key=PartialDate.sort_key)] == ["2019-12", "2020", "2020-11", "2020-11-20"]
    # Text order agrees with it, which is what SQL ORDER BY uses.
    assert sorted(d.iso() for d in dates) == ["2019-12", "2020", "2020-11", "2020-11-20"]


def test_year_zero_is_refused():
    # Accepted as "0000" before, a year no calendar (nor Python's date) has.
    for text in ("0000", "0000-01", "0000-01-01"):
        with pytest.raises(ValueError, match="no year 0"):
            normalize_date(text)
