"""Links: fetch one http(s) URL (standard library) and read it as a web page, PDF, .docx or text.

What comes back is bounded: at most ``max_bytes`` are read (a larger Content-Length is refused
before the body is read), the whole fetch has a deadline, and at most ``MAX_REDIRECTS`` redirects
are followed, to http(s) only. A page goes through the same reader as a saved .html file
(trafilatura), a PDF or .docx through the document readers; any other kind of answer (an image,
JSON...) is refused with its content type. Every failure is one line naming the URL.
"""

from __future__ import annotations

import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rag.errors import InputError

MAX_REDIRECTS = 5
USER_AGENT = "rag-news (+https://pypi.org/project/rag-news/)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
DOCUMENT_TYPES = {"application/pdf": ".pdf",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx"}
_BLOCK = 64 * 1024


def is_url(value) -> bool:
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str  # lower case, without parameters
    charset: str | None
    data: bytes


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not is_url(newurl):
            raise InputError(f"{req.full_url}: redirected to {newurl[:100]}, not an http(s) address; not followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _read_bounded(response, url: str, max_bytes: int, deadline: float) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise InputError(f"{url}: {int(length) / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit (raise RAG_STORE__MAX_FILE_MB)")
    data = bytearray()
    while block := response.read(_BLOCK):
        data += block
        if len(data) > max_bytes:
            raise InputError(f"{url}: more than the {max_bytes / 1e6:.0f} MB limit; not read further (raise RAG_STORE__MAX_FILE_MB)")
        if time.monotonic() > deadline:
            raise InputError(f"{url}: the download took too long; try again, or save the page and ingest the file")
    return bytes(data)


def fetch(url: str, max_bytes: int, timeout: float) -> Fetched:
    """The body of ``url``; InputError with the reason (HTTP status, timeout, size, too many redirects)."""
    opener = urllib.request.build_opener(_Redirects())
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/pdf,*/*;q=0.5"})
    try:
        with opener.open(request, timeout=timeout) as response:
            data = _read_bounded(response, url, max_bytes, time.monotonic() + timeout)
            content_type = response.headers.get_content_type().lower()
            return Fetched(response.geturl(), content_type, response.headers.get_content_charset(), data)
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400 and "not allowed" in str(exc.reason):  # urllib refuses file:, data: and the like
            raise InputError(f"{url}: redirected to {exc.filename[:100]}, not an http(s) address; not followed") from None
        if 300 <= exc.code < 400:
            raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects; not followed further") from None
        raise InputError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = "timed out" if isinstance(exc.reason, TimeoutError) else str(exc.reason)
        raise InputError(f"{url}: cannot fetch it ({reason}); check the address and the network") from None
    except TimeoutError:
        raise InputError(f"{url}: timed out after {timeout:.0f} s; try again, or save the page and ingest the file") from None
    except OSError as exc:
        raise InputError(f"{url}: cannot fetch it ({exc})") from None


def saved_copy(fetched: Fetched, suffix: str) -> Path:
    """The fetched bytes in a temporary file, for the readers that take a file (PDF, .docx); the caller deletes it."""
    with tempfile.NamedTemporaryFile(prefix="rag-url-", suffix=suffix, delete=False) as out:
        out.write(fetched.data)
    return Path(out.name)
