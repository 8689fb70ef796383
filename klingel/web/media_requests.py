"""The hub's requests to the SFU: what the SFU refuses becomes the protocol's error, and what
fails otherwise becomes ``media_unavailable``, logged by its type only (never SDP)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from klingel.protocol.errors import ErrorCode, KlingelError, error_for
from klingel.sfu.api import MediaError

__all__ = ["ask_media", "media_unavailable"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

MEDIA_ERROR_CODES = frozenset(
    {
        ErrorCode.BAD_SDP,
        ErrorCode.TOO_MANY_CANDIDATES,
        ErrorCode.UNKNOWN_STREAM,
        ErrorCode.MEDIA_UNAVAILABLE,
    }
)
"""The SFU's refusals a client is told as they are; any other code is the SFU's fault."""


async def ask_media(request: Awaitable[_T]) -> _T:
    try:
        return await request
    except MediaError as error:
        code = ErrorCode(error.code) if error.code in MEDIA_ERROR_CODES else None
        if code is None:
            logger.warning("The SFU answered with an unknown error code")
            code = ErrorCode.MEDIA_UNAVAILABLE
        raise error_for(code, error.message) from None
    except KlingelError:
        raise
    except Exception as error:
        raise media_unavailable(error, "take a request") from None


def media_unavailable(error: Exception, what: str) -> KlingelError:
    """The error for a request the SFU could not ``what``, logged by the failure's type."""
    logger.warning("The SFU could not %s: %s", what, type(error).__name__)
    logger.debug("SFU failure", exc_info=True)
    return error_for(ErrorCode.MEDIA_UNAVAILABLE, "The media server is busy.")
