"""Save one customer that staff typed in, numbered as an import numbers them."""

from django.db import IntegrityError, transaction

from customers.importing.dedupe import customers_with_number
from customers.importing.numbers import next_numbers
from customers.importing.pipeline import lock_customer_writes

# Generated numbers tried before giving up. Another number is needed only
# when a writer that skips the import lock, such as the edit page, stores
# the generated number between the query and the insert.
GENERATED_NUMBER_ATTEMPTS = 3


class CustomerNumberTaken(Exception):
    """Another customer already has the new customer's ID Pelanggan."""

    def __init__(self, owner):
        super().__init__(owner.number)
        self.owner = owner


def customer_create(customer, *, by, check=None):
    """Insert the unsaved `customer` with a "+" history entry by `by`.

    A customer without a number gets the next generated one (PLG-0001,
    …). The insert runs under the import lock, so an import or another
    add cannot take the same number meanwhile. Raises CustomerNumberTaken
    when another customer has the number, even one stored after the form
    was validated. `check`, when given, is called under the lock first.
    When it returns False, nothing is saved and None is returned.
    """
    typed = customer.number
    with transaction.atomic():
        lock_customer_writes()
        if check is not None and not check():
            return None
        if typed:
            # The unique constraint compares exact text only.
            # NOTE: the edit page changes IDs without this lock, so a case
            # twin that it stores between this check and the commit gets in.
            twins = [other for other in customers_with_number(typed) if other.number != typed]
            if twins:
                raise CustomerNumberTaken(twins[0])

        attempts_left = 1 if typed else GENERATED_NUMBER_ATTEMPTS
        customer._history_user = by
        while True:
            if not typed:
                customer.number = next_numbers(1)[0]
            try:
                # A savepoint, so that PostgreSQL can go on after the error.
                with transaction.atomic():
                    customer.save()
                return customer
            except IntegrityError:
                owner = next((other for other in customers_with_number(customer.number) if other.number == customer.number), None)
                if owner is None:
                    raise
                attempts_left -= 1
                if attempts_left == 0:
                    raise CustomerNumberTaken(owner) from None
