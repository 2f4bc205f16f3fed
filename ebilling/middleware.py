"""Request middleware of eBilling."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Activate the language chosen with the language selector, else LANGUAGE_CODE (Indonesian).

    Django's LocaleMiddleware would follow the browser's Accept-Language
    header. Many ISP offices run an English Windows or browser while their
    staff and customers expect Indonesian screens, so the header is ignored.
    """

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        try:
            language = translation.get_supported_language_variant(language)
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # LocaleMiddleware would add "Vary: Accept-Language", which no longer
        # decides the language, so caches would keep needless copies.
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
