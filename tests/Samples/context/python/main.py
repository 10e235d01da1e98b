from shop.pricing import apply_discount, add_tax


def checkout(price):
    discounted = 
