"""The Slack Web API methods the stand-in answers, by name; each handler runs with the workspace lock held."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from bot.sandbox.slack_standin.methods import auth, chat, conversations, files, history, oauth, users, views
from bot.sandbox.slack_standin.workspace import Workspace

Method = Callable[[Workspace, dict], dict]

# read-only: the one place that says which function answers which Slack method
WEB_API_METHODS: Mapping[str, Method] = MappingProxyType(
    {
        "api.test": auth.api_test,
        "auth.test": auth.auth_test,
        "chat.postMessage": chat.post_message,
        "chat.postEphemeral": chat.post_ephemeral,
        "chat.update": chat.update,
        "chat.delete": chat.delete,
        "chat.getPermalink": chat.get_permalink,
        "conversations.open": conversations.open_conversation,
        "conversations.info": conversations.info,
        "conversations.join": conversations.join,
        "conversations.history": history.conversations_history,
        "users.info": users.users_info,
        "users.lookupByEmail": users.lookup_by_email,
        "views.publish": views.publish,
        "views.open": views.open_modal,
        "files.getUploadURLExternal": files.get_upload_url_external,
        "files.completeUploadExternal": files.complete_upload_external,
        "oauth.v2.access": oauth.oauth_v2_access,
    }
)
