"""The project's URLs plus the bare baseline views the benchmarks compare against."""

from django.http import JsonResponse
from django.urls import include, path

from shanzhi.people.models import Household


def bare_household_lookup(request):
    """One indexed query, no scoping, no serialisation framework: the floor for a request."""
    row = Household.objects.filter(number=request.GET.get("number", "")).values("id", "number").first()
    return JsonResponse({"items": [row] if row else []})


urlpatterns = [
    path("bench/bare", bare_household_lookup),
    path("", include("shanzhi.urls")),
]
