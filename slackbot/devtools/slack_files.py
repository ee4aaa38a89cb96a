"""The fake Slack's files: `files.info` from `file_infos`, and files_upload_v2's three steps
(`files.getUploadURLExternal`, the bytes POSTed to the upload URL, `files.completeUploadExternal`).
A mixin of `FakeSlack` (which holds `files`, `file_infos`, `uploads`, `upload_names`, `url` and
`lock`)."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import quote


class KeptFiles:
    """Answers the file methods from the fake's files and uploads."""

    files: dict[str, bytes]
    file_infos: dict[str, dict[str, Any]]
    uploads: dict[str, bytes]
    upload_names: dict[str, dict[str, Any]]
    url: str
    lock: threading.Lock

    def _upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        """Step 1 of files_upload_v2: a file id and where to POST its bytes."""
        with self.lock:
            file_id = f"F{len(self.upload_names) + 1:09d}"
            self.upload_names[file_id] = {
                "filename": body.get("filename"),
                "length": int(body.get("length") or 0),
            }
        base = self.url.removesuffix("/api/")
        return {"ok": True, "file_id": file_id, "upload_url": f"{base}/upload/{file_id}"}

    def _complete_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        """Step 3: every listed file must have been uploaded with its announced length."""
        files = body.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        done = []
        with self.lock:
            for item in files or []:
                data = self.uploads.get(item.get("id", ""))
                announced = self.upload_names.get(item.get("id", ""), {}).get("length")
                if data is None or len(data) != announced:
                    return {"ok": False, "error": "invalid_arguments"}
                done.append({"id": item["id"], "title": item.get("title")})
        return {"ok": True, "files": done}

    def _file_info(self, file_id: str) -> dict[str, Any]:
        with self.lock:
            info = self.file_infos.get(file_id)
            if info is None:
                return {"ok": False, "error": "file_not_found"}
            name = info.get("name", file_id)
            download = f"{self.url.removesuffix('/api/')}/files/{quote(name)}"
            file = {
                "id": file_id,
                "name": name,
                "mimetype": "application/octet-stream",
                "size": len(self.files.get(name, b"")),
                "url_private": download,
                "url_private_download": download,
            }
            file.update(info)
            return {"ok": True, "file": file}
