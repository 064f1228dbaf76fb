"""files.getUploadURLExternal and files.completeUploadExternal; the bytes arrive at /upload/ in between."""

from __future__ import annotations

from bot.sandbox.slack_standin.errors import ApiError
from bot.sandbox.slack_standin.workspace import Upload, Workspace


def get_upload_url_external(ws: Workspace, params: dict) -> dict:
    """files.getUploadURLExternal: announce a file, get the URL to POST its bytes to."""
    filename = str(params.get("filename") or "")
    try:
        length = int(params.get("length"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        length = -1
    if not filename or length < 0:
        raise ApiError("invalid_arguments", "[ERROR] filename and length are required")
    file_id = f"F{ws.next_number():010d}"
    ws.uploads.append(Upload(file_id, filename, None, length, None, None, None, None, False, None))
    return {"upload_url": f"{ws.base_url}/upload/{file_id}", "file_id": file_id}


def complete_upload_external(ws: Workspace, params: dict) -> dict:
    """files.completeUploadExternal: share uploaded files, each share a bot message in its channel."""
    files = params.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
        raise ApiError("invalid_arguments", "[ERROR] files must be a list of {id, title} [json-pointer:/files]")
    by_id = {u.file_id: u for u in ws.uploads}
    # Slack can't share a file whose bytes never reached the upload URL
    if any(f["id"] not in by_id or by_id[f["id"]].size is None for f in files):
        raise ApiError("file_not_found")
    targets = [c for c in str(params.get("channels") or "").split(",") if c]
    if params.get("channel_id"):
        targets.insert(0, str(params["channel_id"]))
    channel_ids = [ws.resolve_channel(c, not_found="invalid_channel") for c in targets]
    thread_ts = params.get("thread_ts") or None
    comment = params.get("initial_comment") or None
    shared = []
    for f in files:
        upload = by_id[f["id"]]
        upload.title = f.get("title") or upload.filename
        upload.channel_id = channel_ids[0] if channel_ids else None
        upload.initial_comment = comment
        upload.thread_ts = thread_ts
        upload.completed = True
        shared.append(
            {
                "id": upload.file_id,
                "name": upload.filename,
                "title": upload.title,
                "size": upload.size,
                "channels": channel_ids,
            }
        )
    for channel_id in channel_ids:  # the share shows up in the channel as a message from the bot
        message = {
            "type": "message",
            "ts": ws.next_ts(),
            "text": comment or "",
            "blocks": None,
            "thread_ts": thread_ts,
            "user": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "team": ws.team_id,
            "files": [{"id": s["id"], "name": s["name"], "title": s["title"]} for s in shared],
        }
        ws.store_message(channel_id, message)
    return {"files": shared}
