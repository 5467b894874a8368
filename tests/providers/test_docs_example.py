"""The provider example in docs/providers.md works: it syncs with a vCard folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from syncgui.engine import BaseStore, MetadataStore, SessionSettings, SimpleReplica, SyncSession
from syncgui.providers.vcard.folder import open_folder_store

DOC = Path(__file__).resolve().parents[2] / "docs" / "providers.md"


def _example() -> dict[str, Any]:
    code = re.search(r"```python\n(.*?)```", DOC.read_text("utf-8"), re.S)
    assert code is not None
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(code.group(1), str(DOC), "exec"), namespace)
    return namespace


def test_documented_provider_syncs_with_a_folder(tmp_path: Path) -> None:
    example = _example()
    book = tmp_path / "book.json"
    book.write_text(
        '{"ann": "BEGIN:VCARD\\r\\nVERSION:3.0\\r\\nUID:ann\\r\\nFN:Ann\\r\\nEND:VCARD\\r\\n"}'
    )
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "bob.vcf").write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bob\r\nFN:Bob\r\nEND:VCARD\r\n"
    )
    store = example["open_json_book"](str(book))
    a = SimpleReplica(store, MetadataStore(tmp_path / "a.sqlite", store.identity))
    b_store = open_folder_store(str(folder))
    b = SimpleReplica(b_store, MetadataStore(tmp_path / "b.sqlite", b_store.identity))
    result = SyncSession(a, b, SessionSettings("docs"), BaseStore()).run()
    assert result.status.value == "ok"
    assert (folder / "ann.vcf").read_bytes().startswith(b"BEGIN:VCARD")
    assert "FN:Bob" in book.read_text()
