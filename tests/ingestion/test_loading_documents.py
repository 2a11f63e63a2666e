"""PDF and .docx files: text, pages, metadata dates, and a one-line refusal for each bad kind."""

from __future__ import annotations

import zipfile

from rag import ingest
from rag.ingestion.chunking import chunk_article
from rag.ingestion.documents import drop_running_lines, unwrap
from rag.ingestion.loading import Skipped, iter_articles
from rag.settings import ChunkingSettings


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(path, pages: list[list[str]], password: str | None = None, created: str | None = None, title: str | None = None,
              algorithm: str = "RC4-128"):
    """A small real PDF: each page's lines drawn in Helvetica (pypdf writes it; no binary fixture)."""
    from pypdf import PageObject, PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    font_ref = writer._add_object(font)
    for lines in pages:
        page = PageObject.create_blank_page(width=595, height=842)
        ops = ["BT", "/F1 11 Tf", "14 TL", "50 800 Td"] + [f"({_escape(ln)}) Tj T*" for ln in lines] + ["ET"]
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})})
        writer.add_page(page)
    meta = {**({"/CreationDate": created} if created else {}), **({"/Title": title} if title else {})}
    if meta:
        writer.add_metadata(meta)
    if password is not None:
        writer.encrypt(password, owner_password="owner", algorithm=algorithm)
    with open(path, "wb") as out:
        writer.write(out)
    return path


def write_docx(path, paragraphs: list[str], table: list[list[str]] | None = None, title: str = ""):
    import datetime

    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    document.core_properties.title = title
    document.core_properties.created = datetime.datetime(2023, 9, 13, 8, 0)
    document.save(str(path))
    return path


PAGE_1 = ["Sommet de Vostotchny", "Kim Jong Un est arrive en Russie pour rencontrer Vladimir Poutine au cosmodrome",
          "de Vostotchny, selon les agences.", "Le train blinde a franchi la frontiere."]
PAGE_2 = ["Les deux dirigeants ont parle d'armement et de satellites pendant quatre heures."]
PAGE_3 = ["Kim a offert une carabine a Poutine."]


def test_pdf_text_pages_title_and_date(tmp_path):
    path = write_pdf(tmp_path / "rapport.pdf", [PAGE_1, PAGE_2, [], PAGE_3], created="D:20230912101500+02'00'",
                     title="Sommet Kim Poutine")
    (article,) = iter_articles([path])
    assert article.id == "rapport" and article.title == "Sommet Kim Poutine" and article.date == "2023-09-12"
    # the wrapped line is one sentence again; the heading stays apart
    assert "cosmodrome de Vostotchny, selon" in article.text and article.text.startswith("Sommet de Vostotchny\n")
    assert [number for _, number in article.pages] == [1, 2, 4]  # the blank page 3 has no text
    for start, number in article.pages:
        expected = {1: "Sommet", 2: "Les deux", 4: "Kim a offert"}[number]
        assert article.text[start:].startswith(expected)


def test_a_pdf_locked_only_for_its_owner_is_read(tmp_path):
    """Many 'protected' PDFs have an empty user password (printing or copying restricted): their text is readable."""
    for algorithm in ("RC4-128", "AES-256"):
        (article,) = iter_articles([write_pdf(tmp_path / f"{algorithm}.pdf", [PAGE_2], password="", algorithm=algorithm)])
        assert "satellites" in article.text, algorithm
    (locked,) = iter_articles([write_pdf(tmp_path / "aes.pdf", [PAGE_2], password="secret", algorithm="AES-256")])
    assert isinstance(locked, Skipped) and "encrypted PDF" in locked.reason


def test_each_pdf_chunk_carries_the_page_it_starts_on(tmp_path):
    path = write_pdf(tmp_path / "long.pdf", [[f"Phrase {p}-{i} du rapport sur le sommet de Vostotchny." for i in range(12)]
                                             for p in range(1, 4)])
    (article,) = iter_articles([path])
    chunks = chunk_article(article, ChunkingSettings(chunk_size=40, chunk_overlap=0))
    assert len(chunks) > 3
    for chunk in chunks:
        page = int(chunk.text.split("Phrase ", 1)[1].split("-", 1)[0])
        assert chunk.page == page
    assert chunks[0].metadata()["page"] == 1


def test_page_survives_the_store_and_shows_in_passages(make_services, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    write_pdf(folder / "rapport.pdf", [PAGE_1, PAGE_2, PAGE_3])
    (folder / "note.txt").write_text("Une dépêche sur le sommet.", encoding="utf-8")
    services = make_services()
    report = ingest(services, [folder], progress=False)
    assert sorted(report.added) == ["note", "rapport"] and not report.skipped
    passages = services.retriever.retrieve("carabine offerte a Poutine")
    pages = {p.chunk.article_id: p.to_dict()["page"] for p in passages}
    assert pages["rapport"] in (1, 2, 3) and pages.get("note", None) is None


def test_bad_pdfs_each_get_one_line_and_the_rest_goes_in(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_pdf(folder / "locked.pdf", [PAGE_1], password="secret")
    write_pdf(folder / "scan.pdf", [[], []])
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    write_pdf(folder / "good.pdf", [PAGE_2])
    items = list(iter_articles([folder]))
    reasons = {item.path.rsplit("/", 1)[1]: item.reason for item in items if isinstance(item, Skipped)}
    assert [item.id for item in items if not isinstance(item, Skipped)] == ["good"]
    assert "encrypted" in reasons["locked.pdf"] and "password" in reasons["locked.pdf"]
    assert "no text layer" in reasons["scan.pdf"] and "OCR" in reasons["scan.pdf"]
    assert "not a readable PDF" in reasons["broken.pdf"]
    assert all("\n" not in r for r in reasons.values())


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    path = write_docx(tmp_path / "note.docx", ["Le sommet", "Kim est arrivé en train."],
                      table=[["Jour", "Lieu"], ["13 septembre", "Vostotchny"]], title="Note de synthèse")
    (article,) = iter_articles([path])
    assert article.title == "Note de synthèse" and article.date == "2023-09-13" and article.pages == ()
    assert article.text == "Le sommet\n\nKim est arrivé en train.\n\nJour | Lieu\n\n13 septembre | Vostotchny"
    assert chunk_article(article, ChunkingSettings())[0].page is None


def test_bad_docx_files_are_refused_with_a_reason(tmp_path):
    (tmp_path / "fake.docx").write_bytes(b"not a zip at all" * 10)
    with zipfile.ZipFile(tmp_path / "empty.docx", "w") as archive:
        archive.writestr("hello.txt", "no word parts")
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    write_docx(tmp_path / "blank.docx", [])
    items = {item.path.rsplit("/", 1)[1]: item for item in iter_articles([tmp_path])}
    assert "not a readable Word file" in items["fake.docx"].reason
    assert "not a readable Word file" in items["empty.docx"].reason
    assert "no text" in items["blank.docx"].reason
    assert "old.doc" not in items  # .doc is not read: left out of folders like any other type


def test_a_docx_that_unpacks_to_far_more_than_its_size_is_refused(tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<a>" + " " * 5_000_000 + "</a>")
    (item,) = iter_articles([path], max_bytes=1_000_000)
    assert isinstance(item, Skipped) and "unpacks to" in item.reason


def test_running_heads_and_page_numbers_are_left_out(tmp_path):
    bodies = [PAGE_1, PAGE_2, PAGE_3, ["Annexe : la liste des participants."]]
    pages = [["Rapport Vostotchny 2023", *body, f"Page {n} sur 4"] for n, body in enumerate(bodies, start=1)]
    (article,) = iter_articles([write_pdf(tmp_path / "r.pdf", pages)])
    assert "Rapport Vostotchny" not in article.text and "sur 4" not in article.text
    assert all(body[0][:20] in article.text for body in bodies) and [n for _, n in article.pages] == [1, 2, 3, 4]
    assert drop_running_lines([["Un titre", "", "Texte."], ["", "12"]]) == [["Un titre", "", "Texte."], [""]]  # 2 pages: numbers only


def test_unwrap_joins_wrapped_lines_only():
    text = "Titre\nUne phrase assez longue pour avoir été coupée par la\nmise en page du PDF. Puis une autre.\nFin."
    assert unwrap(text) == "Titre\nUne phrase assez longue pour avoir été coupée par la mise en page du PDF. Puis une autre.\nFin."
    assert unwrap("un mot coupé en fin de ligne inter-\nnational ici") == "un mot coupé en fin de ligne inter-national ici"
