"""Symbolic links given to attach (issue 17, item 13): an explicitly chosen
link attaches its target and says which; a link to a folder, a device or a
FIFO is refused, naming what it points to."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from test_attachment_samples import write

from finweek_desktop.core.attachments.ingest import ChosenFile, choose_files
from finweek_desktop.core.records import NewDocument

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symbolic links and FIFOs")


@pytest.fixture
def linked(tmp_path):
    """report.txt, a link to a file elsewhere with another name."""
    real = write(tmp_path / "archive" / "2024-q3-final.txt", "Quarterly figures of the cross-border fund")
    link = tmp_path / "desk" / "report.txt"
    link.parent.mkdir()
    link.symlink_to(real)
    return link, real.resolve()


def test_the_cli_attaches_a_links_target_and_says_which(finweek, linked):
    link, real = linked
    code, out, _ = finweek("add", "--kind", "report", "--title", "Fund report", "--json")
    doc = str(json.loads(out)["id"])
    code, out, err = finweek("attach", doc, str(link))
    assert code == 0, err
    assert f"report.txt is a link; attached its target {real}" in out
    (attachment,) = json.loads(finweek("attachments", doc, "--json")[1])
    assert attachment["original_name"] == "report.txt"  # the name chosen
    assert attachment["sha256"] == hashlib.sha256(real.read_bytes()).hexdigest()  # the target's bytes


def test_add_with_a_link_says_which_file_it_attached(finweek, linked):
    link, real = linked
    code, out, err = finweek("add", "--kind", "report", str(link))
    assert code == 0, err
    assert f"report.txt is a link; attached its target {real}" in out
    code, out, err = finweek("add", "--kind", "report", "--json", "--allow-duplicate", str(link))
    assert json.loads(out)["attachments"][0]["original_name"] == "report.txt"
    assert f"report.txt is a link; attached its target {real}" in err  # stdout stays JSON


def test_import_of_a_link_given_by_name_says_which_file_it_imported(finweek, linked):
    link, real = linked
    code, out, err = finweek("import", str(link))
    assert code == 0, err
    assert "1 document created" in out and f"report.txt is a link; imported its target {real}" in out
    code, out, err = finweek("import", "--json", str(link))  # the same file again: a duplicate, no link line
    assert json.loads(out)["links"] == [] and not json.loads(out)["documents"]


def test_attach_json_names_the_links_target(finweek, linked):
    link, real = linked
    doc = str(json.loads(finweek("add", "--kind", "report", "--title", "Fund", "--json")[1])["id"])
    code, out, err = finweek("attach", doc, "--json", str(link))
    assert code == 0, err
    assert json.loads(out)[0]["link_target"] == str(real)


def _special(tmp_path, kind):
    if kind == "folder":
        target = tmp_path / "folder.pdf"
        target.mkdir()
    elif kind == "FIFO":
        target = tmp_path / "pipe.pdf"
        os.mkfifo(target)  # opening it to read would wait forever for a writer
    else:
        target = "/dev/zero"
    link = tmp_path / f"link-to-{kind}.pdf"
    link.symlink_to(target)
    return link, target


@pytest.mark.parametrize(("kind", "said"), [("folder", "a folder"), ("FIFO", "a FIFO (named pipe)"), ("device", "a device")])
def test_a_link_to_a_special_file_is_refused_and_says_what_it_points_to(finweek, tmp_path, kind, said):
    link, target = _special(tmp_path, kind)
    doc = str(json.loads(finweek("add", "--kind", "report", "--title", "Holder", "--json")[1])["id"])
    code, out, err = finweek("attach", doc, str(link))
    assert code == 1
    assert f"{link} is a link to {said}, {target}: only a regular file can be attached" in err
    assert json.loads(finweek("attachments", doc, "--json")[1]) == []


def test_the_service_refuses_links_to_special_files_before_copying_anything(service, tmp_path, linked):
    link, real = linked
    doc = service.documents.create_document(NewDocument(kind="report", title="Holder"))
    fifo_link, _ = _special(tmp_path, "FIFO")
    with pytest.raises(ValueError, match="is a link to a FIFO"):
        service.attachments.attach_files(doc.id, [link, fifo_link])
    assert service.documents.get_document(doc.id).attachments == () and service.store.temp_files() == []
    (attached,) = service.attachments.attach_files(doc.id, [link])
    assert attached.original_name == "report.txt" and attached.size == real.stat().st_size


def test_broken_and_looping_links_are_clear_errors(tmp_path):
    dangling = tmp_path / "gone.pdf"
    dangling.symlink_to(tmp_path / "moved-away.pdf")
    with pytest.raises(FileNotFoundError, match="the link points to"):
        choose_files([dangling])
    loop = tmp_path / "loop.pdf"
    loop.symlink_to(loop)
    with pytest.raises(ValueError, match="is a link that cannot be followed"):
        choose_files([loop])


def test_a_plain_file_is_chosen_as_it_is(tmp_path, linked):
    link, real = linked
    assert choose_files([real, link]) == [ChosenFile(real), ChosenFile(link, real)]
