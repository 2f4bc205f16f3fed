"""JSON lists behind the cascading region selects, and the customer map."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from customers.selectors import customers_visible_to
from ebilling.access import staff_required, visible_sites
from regions.forms import TILE_ATTRIBUTION, tile_url
from regions.models import District, Province, Regency, Village
from regions.names import code_level, parse_region_code

# The region tables change only with a new data release, so browsers may
# reuse a list for an hour. "private" keeps shared caches from storing
# responses that need a login.
REGION_LIST_MAX_AGE = 60 * 60

# Markers sent to the customer map at most. Leaflet draws a few thousand
# plain markers smoothly; a site filter shows the rest.
MAP_POINT_LIMIT = 5000


def region_reader_required(view):
    """Require a logged-in staff user or a customer with a portal account.

    Other logged-in users get 404, as staff_required gives them.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_staff or _has_customer(request.user)):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _has_customer(user):
    try:
        return user.customer is not None
    except ObjectDoesNotExist:
        return False


# An example code per level, for the error of a malformed parameter.
EXAMPLE_CODES = {"province": "32", "regency": "32.01", "district": "32.01.01"}


def _region_list(queryset):
    rows = queryset.order_by("name").values_list("code", "name")
    return JsonResponse([{"code": code, "name": name} for code, name in rows], safe=False)


def _child_region_list(request, parent_level, model):
    """Return the regions of `model` inside the parent given as ?<parent_level>=code.

    A missing or malformed code gives 400 with an English error for the
    script author; an unknown code gives an empty list.
    """
    code = parse_region_code(request.GET.get(parent_level, ""))
    if code is None or code_level(code) != parent_level:
        example = EXAMPLE_CODES[parent_level]
        error = f"Parameter {parent_level} must be a {parent_level} code, like {parent_level}={example}."
        return JsonResponse({"error": error}, status=400)
    return _region_list(model.objects.filter(**{f"{parent_level}_id": code}))


@require_GET
@region_reader_required
@cache_control(private=True, max_age=REGION_LIST_MAX_AGE)
def province_list(request):
    return _region_list(Province.objects.all())


@require_GET
@region_reader_required
@cache_control(private=True, max_age=REGION_LIST_MAX_AGE)
def regency_list(request):
    return _child_region_list(request, "province", Regency)


@require_GET
@region_reader_required
@cache_control(private=True, max_age=REGION_LIST_MAX_AGE)
def district_list(request):
    return _child_region_list(request, "regency", District)


@require_GET
@region_reader_required
@cache_control(private=True, max_age=REGION_LIST_MAX_AGE)
def village_list(request):
    return _child_region_list(request, "district", Village)


@require_GET
@staff_required
def customer_map(request):
    sites = visible_sites(request.user).order_by("name")
    site = _chosen_site(request, sites)
    points_url = reverse("regions:map-points")
    if site is not None:
        points_url += f"?site={site.pk}"
    context = {
        "sites": sites,
        "site": site,
        "points_url": points_url,
        "tile_url": tile_url(),
        "tile_attribution": TILE_ATTRIBUTION,
    }
    return render(request, "regions/customer_map.html", context)


@require_GET
@staff_required
def customer_map_points(request):
    """Return the customers with a map location, up to MAP_POINT_LIMIT of them."""
    site = _chosen_site(request, visible_sites(request.user))
    customers = customers_visible_to(request.user).filter(latitude__isnull=False, longitude__isnull=False)
    if site is not None:
        customers = customers.filter(site=site)

    total = customers.count()
    rows = customers.order_by("number").values_list("pk", "number", "name", "latitude", "longitude")
    points = [
        {
            "number": number,
            "name": name,
            "lat": float(latitude),
            "lng": float(longitude),
            "url": reverse("customers:edit", args=[pk]),
        }
        for pk, number, name, latitude, longitude in rows[:MAP_POINT_LIMIT]
    ]
    return JsonResponse({"points": points, "total": total, "limit": MAP_POINT_LIMIT, "truncated": total > len(points)})


def _chosen_site(request, sites):
    """Return the site of the ?site= parameter, or None for all visible sites.

    A site the user may not see, or a malformed id, gives 404.
    """
    site_id = request.GET.get("site", "")
    if not site_id:
        return None
    if not site_id.isdigit():
        raise Http404
    return get_object_or_404(sites, pk=site_id)
