"""Prices, taxes and discounts."""


def apply_discount(price, percent):
    """Price after a percentage discount."""
    return price * (1 - percent / 100)


def add_tax(price, rate=0.2):
    return price * (1 + rate)


class PriceList:
    def lookup(self, sku):
        return 0
