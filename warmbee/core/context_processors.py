from django.conf import settings


def site(request):
    from warmbee.accounts.navigation import navigation_for

    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_items": navigation_for(user) if user is not None else [],
    }
