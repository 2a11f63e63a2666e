"""`rag` commands through a running `rag serve`: it holds the embedded store, so it answers for them.

Each call goes to the server's API endpoint of the same name (ui.app) with gradio_client and returns the JSON
object the direct path prints. The server's errors come back with their class as the title, so the exit codes
stay those of the direct path. A server that listens beyond localhost without a password has no write
endpoints: ingest and remove through it get the refusal its UI shows.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rag import errors
from rag.errors import RagError, StoreError

log = logging.getLogger(__name__)

READ_ONLY = ("the running server ({where}) is read-only: it listens beyond this machine without a password, so articles "
             "cannot be added or removed through it; stop it, or restart it with RAG_UI__AUTH_USER and RAG_UI__AUTH_PASSWORD")


class Remote:
    def __init__(self, record: dict, auth: tuple[str, str] | None):
        import httpx
        from gradio_client import Client

        self.record = record
        self.where = f"`rag serve` at {record['url']}, pid {record['pid']}"
        # httpx's default 5 s is too short for a busy server on a loaded laptop; a dead port still fails at once
        wait = httpx.Timeout(120.0, connect=10.0)
        self.client = Client(record["url"], auth=auth, verbose=False, download_files=False, httpx_kwargs={"timeout": wait})

    def _call(self, api_name: str, *args):
        from gradio_client.exceptions import AppError

        try:
            return self.client.predict(*args, api_name=api_name)
        except AppError as exc:
            kind = getattr(errors, str(exc.title), RagError)
            raise (kind if isinstance(kind, type) and issubclass(kind, RagError) else RagError)(exc.message) from None

    def _write(self, api_name: str, *args):
        if not self.record.get("writes", True) or api_name not in self.client.view_api(print_info=False, return_format="dict")["named_endpoints"]:
            raise StoreError(READ_ONLY.format(where=self.where))
        return self._call(api_name, *args)

    def ask(self, question: str, k: int | None, history: list[dict], filters) -> dict:
        return self._call("/ask", question, k or 0, history, *_filter_args(filters))

    def search(self, question: str, k: int | None, history: list[dict], filters) -> dict:
        return self._call("/search", question, k or 0, history, *_filter_args(filters))

    def info(self, articles: bool) -> dict:
        return self._call("/info", articles)

    def ingest(self, paths: list[str], rebuild: bool) -> dict:
        return self._write("/ingest", [server_path(p) for p in paths], rebuild)

    def remove(self, article_id: str) -> dict:
        return self._write("/remove", article_id)


def server_path(path: str) -> str:
    """A path as the server must read it: absolute (its working folder is not ours); a link stays as it is."""
    if str(path).lower().startswith(("http://", "https://")):
        return str(path)
    return str(Path(path).expanduser().resolve())


def _filter_args(filters) -> list:
    return [list(filters.articles), filters.since, filters.until] if filters else [[], "", ""]


def connect(settings) -> Remote | None:
    """The running server of this data folder, or None (no server, a stale file, a Chroma server store, no answer)."""
    from ui import server_file

    if settings.store.url:  # a Chroma server is shared by design: every command opens it directly
        return None
    record = server_file.running(settings.data_dir)
    if record is None:
        return None
    auth = (settings.ui.auth_user, settings.ui.auth_password.get_secret_value()) if settings.ui.auth_user else None
    from gradio_client.exceptions import AuthenticationError

    try:
        return Remote(record, auth)
    except AuthenticationError:
        raise StoreError(f"the running server ({record['url']}, pid {record['pid']}) asks for a password: set "
                         "RAG_UI__AUTH_USER and RAG_UI__AUTH_PASSWORD as it has them") from None
    except Exception as exc:  # noqa: BLE001 - httpx and gradio_client failures all mean: not usable
        log.info("ignoring the server announced in %s: %s", server_file.path(settings.data_dir), exc)
        return None
