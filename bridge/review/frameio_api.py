"""The few Frame.io v4 calls retakes makes, through the official `frameio` SDK.

Why a wrapper at all: the SDK retries 408/429/5xx itself (honouring Retry-After), but a 401
just raises. A 401 means the token we hold is dead (revoked, rotated, clock skew), so we get
a new one and retry that call exactly once; a second 401 is a real "not allowed" and is
raised. The wrapper also pins the account id, asks for comment timestamps as timecode (the
integer `timestamp` is 1-based in v4 docs and 0-based in v2's, see research/service.md 2.5;
a timecode string is unambiguous), and returns plain values so nothing else imports the SDK.
The SDK types a timestamp as `str | int` and does not check it, so a comment may still come
back with the integer framestamp (1 = the file's first frame, per the v4 Migration guide); it
is kept as such, and anything else is kept as a problem in words, never dropped in silence.

`base_url` points the SDK at any host, which is how the contract tests run it against a local
fake that speaks the documented v4 shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

from frameio import Frameio
from frameio.core.api_error import ApiError
from frameio.files import FileCreateLocalUploadParamsData, FileMoveParamsData
from frameio.metadata import BulkUpdateMetadataParamsData, BulkUpdateMetadataParamsDataValuesItem
from frameio.shares import CreateShareParamsData_Asset
from frameio.version_stacks import VersionStackCreateParamsData

from .auth import FrameioAuth

T = TypeVar("T")
API_BASE_URL = "https://api.frame.io"


@dataclass(frozen=True)
class UploadTarget:
    """A placeholder file created for a local upload: where its parts go."""

    file_id: str
    view_url: str
    media_type: str
    file_size: int
    part_urls: list[tuple[str, int]]  # (presigned URL, part size), in file order


@dataclass(frozen=True)
class RemoteComment:
    id: str
    text: str
    timecode: str | None  # "HH:MM:SS:FF" (";FF" drop-frame) as Frame.io reports it
    duration: int | None  # frames; set for range comments
    author: str
    completed: bool
    framestamp: int | None = None  # the integer form: 1-based frame of the file (v4), when sent so
    problem: str | None = None  # a timestamp that is neither, in words; the comment has no frame we trust


def read_timestamp(stamp: object) -> tuple[str | None, int | None, str | None]:
    """(timecode, framestamp, problem) from a comment's `timestamp` as the API sent it."""
    if stamp is None:
        return None, None, None
    if isinstance(stamp, str):
        return (stamp, None, None) if stamp.strip() else (None, None, "its timestamp is an empty string")
    if isinstance(stamp, float) and stamp.is_integer():
        stamp = int(stamp)  # JSON 12.0: the same number as 12
    if isinstance(stamp, int) and not isinstance(stamp, bool):
        if stamp < 1:
            return None, None, f"its timestamp {stamp} is no frame (Frame.io framestamps start at 1)"
        return None, stamp, None
    return None, None, f"its timestamp {stamp!r} is neither a timecode nor a frame number"


class FrameioApi:
    def __init__(
        self,
        auth: FrameioAuth,
        account_id: str,
        *,
        base_url: str = API_BASE_URL,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        self.auth = auth
        self.account_id = account_id
        self._client = Frameio(token=auth.get_token, base_url=base_url, timeout=timeout)
        self._options: dict[str, Any] = {"max_retries": max_retries}

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except ApiError as exc:
            if exc.status_code != 401:
                raise
        self.auth.force_refresh()
        return fn()  # once: a second 401 propagates

    # -- projects / folders -----------------------------------------------------------------
    def project_root_folder(self, project_id: str) -> str:
        project = self._call(
            lambda: self._client.projects.show(self.account_id, project_id, request_options=self._options)
        )
        return project.data.root_folder_id

    # -- upload -------------------------------------------------------------------------------
    def create_local_upload(self, folder_id: str, name: str, file_size: int) -> UploadTarget:
        data = FileCreateLocalUploadParamsData(name=name, file_size=file_size)
        resp = self._call(
            lambda: self._client.files.create_local_upload(
                self.account_id, folder_id, data=data, request_options=self._options
            )
        )
        f = resp.data
        return UploadTarget(
            file_id=f.id,
            view_url=f.view_url,
            media_type=f.media_type or "application/octet-stream",
            file_size=f.file_size,
            part_urls=[(u.url, u.size) for u in (f.upload_urls or [])],
        )

    def upload_complete(self, file_id: str) -> bool:
        resp = self._call(
            lambda: self._client.files.show_file_upload_status(
                self.account_id, file_id, request_options=self._options
            )
        )
        if resp.data.upload_failed:
            raise RuntimeError(f"Frame.io reports the upload of file {file_id} failed")
        return bool(resp.data.upload_complete)

    # -- version stacks -----------------------------------------------------------------------
    def create_version_stack(self, folder_id: str, file_ids_oldest_first: list[str]) -> str:
        data = VersionStackCreateParamsData(file_ids=file_ids_oldest_first)
        resp = self._call(
            lambda: self._client.version_stacks.create(
                self.account_id, folder_id, data=data, request_options=self._options
            )
        )
        return resp.data.id

    def add_to_version_stack(self, file_id: str, version_stack_id: str) -> None:
        """A file moved into a stack becomes its newest (head) version."""
        data = FileMoveParamsData(parent_id=version_stack_id)
        self._call(
            lambda: self._client.files.move(
                self.account_id, file_id, data=data, request_options=self._options
            )
        )

    def version_stack_files(self, version_stack_id: str) -> list[str]:
        pager = self._call(
            lambda: self._client.version_stacks.index(
                self.account_id, version_stack_id, request_options=self._options
            )
        )
        return [item.id for item in pager]

    # -- description (lineage) ----------------------------------------------------------------
    def set_description(self, project_id: str, file_id: str, text: str) -> None:
        """Writes the built-in "Description" metadata field (v4 has no file.description)."""
        fields = self._call(
            lambda: self._client.metadata_fields.metadata_field_definitions_index(
                self.account_id, request_options=self._options
            )
        )
        field_id = next((f.id for f in fields if getattr(f, "name", "") == "Description"), None)
        if field_id is None:
            raise RuntimeError("this Frame.io account has no 'Description' metadata field")
        data = BulkUpdateMetadataParamsData(
            file_ids=[file_id],
            values=[BulkUpdateMetadataParamsDataValuesItem(field_definition_id=field_id, value=text)],
        )
        self._call(
            lambda: self._client.metadata.bulk_update(
                self.account_id, project_id, data=data, request_options=self._options
            )
        )

    # -- review link --------------------------------------------------------------------------
    def create_share(self, project_id: str, name: str, asset_ids: list[str]) -> str:
        data = CreateShareParamsData_Asset(
            name=name, asset_ids=asset_ids, access="secure", commenting_enabled=True, enabled=True
        )
        resp = self._call(
            lambda: self._client.shares.create(
                self.account_id, project_id, data=data, request_options=self._options
            )
        )
        return resp.data.short_url or f"share:{resp.data.id}"

    # -- status ------------------------------------------------------------------------------
    def review_status(self, file_id: str) -> str | None:
        """The display name of the file's "Status" field (v4 models approval as metadata)."""
        resp = self._call(
            lambda: self._client.metadata.show(self.account_id, file_id, request_options=self._options)
        )
        for field in resp.data.metadata:
            if getattr(field, "field_definition_name", "") == "Status":
                value = getattr(field, "value", None)
                if isinstance(value, list):
                    return value[0].display_name if value else None
                return str(value) if value else None
        return None

    # -- comments -----------------------------------------------------------------------------
    def comments(self, file_id: str) -> list[RemoteComment]:
        """Every comment on the file, page by page.

        Paged by hand, not by iterating the SDK's pager: v4's `links.next` "only carries the
        `after` cursor" and the other query parameters "must be re-added by the client on every
        subsequent request" (SDK `frameio/types/links.py`), but the pager follows the bare link,
        so from page 2 on comments would come without owners and with integer framestamps; and a
        later page that fails is read by the pager as the end of the list, silently.
        """
        out: list[RemoteComment] = []
        after: str | None = None
        seen: set[str] = set()
        while True:
            page = self._call(
                lambda after=after: self._client.comments.index(
                    self.account_id,
                    file_id,
                    timestamp_as_timecode=True,
                    include="owner",
                    after=after,
                    request_options=self._options,
                )
            )
            out.extend(_remote_comment(c) for c in page.items or [])
            links = getattr(page.response, "links", None)
            after = _cursor(getattr(links, "next", None))
            if after is None:
                return out
            if after in seen:
                raise RuntimeError(f"Frame.io repeated a page cursor listing the comments of file {file_id}")
            seen.add(after)


def _cursor(next_link: str | None) -> str | None:
    """The `after` cursor of a `links.next` path, or None at the last page."""
    if not next_link:
        return None
    values = parse_qs(urlparse(next_link).query).get("after")
    if not values or not values[0]:
        raise RuntimeError(f"Frame.io's next-page link carries no cursor: {next_link!r}")
    return values[0]


def _remote_comment(c: Any) -> RemoteComment:
    owner = getattr(c, "owner", None)
    timecode, framestamp, problem = read_timestamp(getattr(c, "timestamp", None))
    return RemoteComment(
        id=c.id,
        text=c.text,
        timecode=timecode,
        duration=c.duration,
        author=(getattr(owner, "name", None) or "") if owner else "",
        completed=c.completed_at is not None,
        framestamp=framestamp,
        problem=problem,
    )
