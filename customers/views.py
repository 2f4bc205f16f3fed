from django.shortcuts import render

from ebilling.access import staff_required


@staff_required
def customer_list(request):
    return render(request, "base.html")


@staff_required
def batch_list(request):
    return render(request, "base.html")
