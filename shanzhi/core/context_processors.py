from django.conf import settings


def shanzhi(request):
    user = getattr(request, "user", None)
    return {
        "county_name": settings.SHANZHI_COUNTY_NAME,
        "is_county_admin": bool(user and user.is_authenticated and user.is_county_admin),
    }
