"""Attachments: the content-addressed file store (store.py), text extraction
in a sandboxed worker process (extraction.py, extractors.py, pdftext.py,
worker.py), decoding of text files (decoding.py) and
previews (previews.py). No Qt here: previews are files or PNG bytes that any
front end can show.

Nothing is imported here on purpose: the extraction worker imports this
package in every child process and should not pay for Pillow.
"""
