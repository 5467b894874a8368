"""Both versions of a contact as the conflict dialog lists them: in the user's words, one
row per field, Apple's labelled groups as one field, and no bookkeeping lines."""

from __future__ import annotations

from syncgui.providers.vcard.compare import field_rows

A = (
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:kj\r\nPRODID:-//Apple//EN\r\nREV:2024-01-01T00:00:00Z\r\n"
    b"FN:Katherine Johnson\r\nN:Johnson;Katherine;;;\r\n"
    b"item1.EMAIL;TYPE=INTERNET:kj@example.net\r\nitem1.X-ABLabel:NASA\r\n"
    b"TEL;TYPE=CELL:+1 555 0100\r\nBDAY:1918-08-26\r\nX-CUSTOM:hello\r\nEND:VCARD\r\n"
)
B = (
    b"BEGIN:VCARD\r\nVERSION:2.1\r\nUID:kj\r\nFN:Katherine Johnson\r\n"
    b"N:Johnson;Katherine;;;\r\nitem7.EMAIL;INTERNET:kj@example.net\r\n"
    b"item7.X-ABLabel:NASA\r\nTEL;CELL:+1 555 0199\r\nTEL;HOME:+1 555 0123\r\n"
    b"ORG:NASA;Langley\r\nEND:VCARD\r\n"
)


def test_fields_are_shown_in_words_with_groups_as_one_labelled_field() -> None:
    rows = {r.label: r for r in field_rows(A, B)}
    email = rows["Email (NASA)"]
    assert (email.a, email.b, email.same) == ("kj@example.net", "kj@example.net", True)
    assert rows["Name"].same
    assert rows["Birthday"].a == "1918-08-26" and rows["Birthday"].b is None
    assert rows["Organization"].b == "NASA, Langley" and rows["Organization"].a is None
    assert rows["X-CUSTOM"].a == "hello"  # unknown properties keep their name
    labels = [r.label for r in field_rows(A, B)]
    assert not {"UID", "VERSION", "PRODID", "REV", "X-ABLABEL"} & set(labels)
    assert labels[:2] == ["Name", "Structured name"]


def test_a_changed_number_pairs_up_and_an_added_one_stands_alone() -> None:
    rows = [r for r in field_rows(A, B) if r.field == "TEL"]
    assert [(r.label, r.a, r.b, r.same) for r in rows] == [
        ("Phone (cell)", "+1 555 0100", "+1 555 0199", False),
        ("Phone (home)", None, "+1 555 0123", False),
    ]


def test_a_deleted_side_shows_every_field_on_the_other() -> None:
    rows = field_rows(None, B)
    assert rows and all(r.a is None and r.b is not None and not r.same for r in rows)
