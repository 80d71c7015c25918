"""The page language: Indonesian unless the person chose English.

Django's LocaleMiddleware would follow the browser's Accept-Language, so most visitors' phones set to English
would get English pages; PST Desk is Indonesian first. The choice is `?lang=id|en` on any page, else the language
cookie (set by the language switch, `/i18n/setlang/`), else LANGUAGE_CODE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation

SUPPORTED = frozenset(code for code, _name in settings.LANGUAGES)


def chosen_language(request: HttpRequest) -> str:
    for candidate in (request.GET.get("lang", ""), request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")):
        if candidate in SUPPORTED:
            return candidate
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Sync and async (no thread hop under ASGI: the activation is context-local, the view's thread inherits it)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        language = activate_chosen(request)
        return with_language(self.get_response(request), language)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        language = activate_chosen(request)
        return with_language(await self.get_response(request), language)


def activate_chosen(request: HttpRequest) -> str:
    language = chosen_language(request)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


def with_language(response: HttpResponseBase, language: str) -> HttpResponseBase:
    response.headers.setdefault("Content-Language", language)
    return response
