"""HTML as people write it: unclosed <head>, <iframe>, <object>, <noscript>
and <title> must never swallow the text of the page."""

from __future__ import annotations

import pytest
from test_attachment_samples import write

from finweek_desktop.core.attachments.extraction import TextStatus, extract_text
from finweek_desktop.core.attachments.filetypes import HTML

BODY = "<p>Cross-border wealth management was discussed.</p><p>Second paragraph.</p>"


def extracted(tmp_path, markup):
    return extract_text(write(tmp_path / "page.html", markup), HTML)


@pytest.mark.parametrize(
    "markup",
    [
        f"<html><head><title>Forum</title><meta charset='utf-8'><body>{BODY}</body></html>",  # no </head>
        f"<head><title>Forum</title>{BODY}",  # no </head> and no <body>
        f"<html><head><title>Forum</title><noscript><link rel=stylesheet href=x.css></head><body>{BODY}",
        f"<html><body><iframe src='https://example.invalid/embed'>{BODY}</body></html>",
        f"<html><body><object data='chart.svg'>{BODY}</body></html>",
        f"<html><head><title>Forum<body>{BODY}</body></html>",  # no </title>
    ],
    ids=["no-head-end", "no-body-tag", "unclosed-noscript-in-head", "unclosed-iframe", "unclosed-object", "no-title-end"],
)
def test_an_unclosed_element_does_not_swallow_the_body(tmp_path, markup):
    result = extracted(tmp_path, markup)
    assert result.status is TextStatus.OK, result.message
    assert "Cross-border wealth management was discussed." in result.text
    assert "Second paragraph." in result.text


def test_the_title_is_the_title_not_body_text(tmp_path):
    result = extracted(tmp_path, f"<html><head><title>Forum\n  minutes</title><body>{BODY}")
    assert result.title == "Forum minutes"
    assert "Forum" not in result.text


def test_script_style_template_and_noscript_stay_hidden_without_a_head_end(tmp_path):
    markup = (
        "<html><head><style>p { color: red }</style><script>var secret = 1;</script>"
        f"<body><template><p>template text</p></template><noscript>enable scripts</noscript>{BODY}"
    )
    result = extracted(tmp_path, markup)
    assert "Cross-border wealth management was discussed." in result.text
    for hidden in ("color: red", "secret", "template text", "enable scripts"):
        assert hidden not in result.text
