from django.http import Http404
from django.shortcuts import render

from ebilling.access import staff_required


@staff_required
def customer_list(request):
    return render(request, "base.html")


@staff_required
def customer_export(request):
    raise Http404


@staff_required
def customer_edit(request, pk):
    raise Http404
