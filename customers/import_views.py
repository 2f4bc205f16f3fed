"""Upload, review and batch pages of the customer import."""

from django.http import Http404
from django.shortcuts import render

from ebilling.access import staff_required


@staff_required
def upload(request):
    return render(request, "base.html")


@staff_required
def template_download(request):
    raise Http404


@staff_required
def batch_list(request):
    return render(request, "base.html")


@staff_required
def batch_detail(request, pk):
    raise Http404


@staff_required
def batch_progress(request, pk):
    raise Http404


@staff_required
def batch_confirm(request, pk):
    raise Http404


@staff_required
def batch_cancel(request, pk):
    raise Http404


@staff_required
def batch_problem_workbook(request, pk):
    raise Http404
