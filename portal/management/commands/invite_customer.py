"""Print a portal link for one customer, as the staff "Invite to portal" page does."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from customers.importing.dedupe import customers_with_number
from customers.models import Customer
from portal.accounts import customer_user_for_password
from portal.links import absolute_url, link_create, whatsapp_invitation_url, whatsapp_message


class Command(BaseCommand):
    help = (
        "Create a single-use link through which the customer sets their portal password, and print it. "
        "A customer who already has a password gets a password reset link. Older unused links of the "
        "customer stop working. The link starts with PORTAL_BASE_URL."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", help="the customer's ID Pelanggan, e.g. PLG-0001")
        parser.add_argument(
            "--whatsapp",
            action="store_true",
            help="also print a wa.me link that opens WhatsApp with the invitation message to the customer",
        )

    def handle(self, *args, number, whatsapp, **options):
        customer = self._customer(number)
        if customer_user_for_password(customer) is None:
            raise CommandError(
                _(
                    "The portal account of customer %(number)s is deactivated or belongs to staff, "
                    "so no link was created."
                )
                % {"number": customer.number}
            )

        issued = link_create(customer)
        url = absolute_url(issued.path)
        self.stdout.write(url)
        if whatsapp:
            self.stdout.write(whatsapp_invitation_url(customer.phone, whatsapp_message(issued, url)))

    def _customer(self, number):
        """Return the customer with ID Pelanggan `number`, matched in any
        letter case as an upload matches IDs when no ID is exactly it."""
        customer = Customer.objects.select_related("user").filter(number=number).first()
        if customer is not None:
            return customer
        matches = customers_with_number(number)
        if len(matches) > 1:
            raise CommandError(
                _("Several customers have the ID Pelanggan %(number)s in other letter cases: %(numbers)s. Type one of them exactly.")
                % {"number": number, "numbers": ", ".join(match.number for match in matches)}
            )
        if not matches:
            raise CommandError(
                _("No customer has the ID Pelanggan %(number)s. Check the ID in the customer list.") % {"number": number}
            )
        return Customer.objects.select_related("user").get(pk=matches[0].pk)
