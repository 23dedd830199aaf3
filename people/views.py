from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors


@login_required
def staff_list(request):
    page = Paginator(selectors.staff_list(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "people/staff_list.html", {"page_obj": page})


@login_required
def staff_detail(request, pk: int):
    staff = selectors.staff_get(user=request.user, pk=pk)
    return render(request, "people/staff_detail.html", {"member": staff})
