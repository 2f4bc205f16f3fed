"""One action per form page, however often the page is sent."""

import datetime
import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import FormSubmission

# Claims older than this are deleted. A page sent again after that acts again.
FORM_SUBMISSION_KEPT = datetime.timedelta(days=30)


def form_submission_claim(token):
    """Store the form page's `token` and return (submission, True), or
    return (submission, False) with the FormSubmission of an earlier POST
    of the same page.

    Call it inside transaction.atomic() together with the action that it
    guards, so that an action that fails releases the token in the
    rollback. On PostgreSQL, a claim of a token that another open
    transaction has just stored waits at the unique index until that
    transaction ends, and then returns its committed row. SQLite runs one
    write transaction at a time.
    """
    token_hash = hashlib.sha256(token.encode("utf-8")).hexdigest()
    try:
        # A savepoint, so that PostgreSQL can go on after the error.
        with transaction.atomic():
            submission = FormSubmission.objects.create(token_hash=token_hash)
    except IntegrityError:
        return FormSubmission.objects.get(token_hash=token_hash), False
    FormSubmission.objects.filter(created_at__lt=timezone.now() - FORM_SUBMISSION_KEPT).delete()
    return submission, True
