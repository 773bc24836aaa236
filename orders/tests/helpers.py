"""Order lines the sandbox's buyer puts in tests' orders (the `meta_shop` fixture places them)."""

TEA = {"retailer_id": "TEA-1", "quantity": 2, "price": "12.00", "product_name": "Jasmine tea"}
CUP = {"retailer_id": "CUP-1", "quantity": 1, "price": "8.00", "product_name": "Tea cup"}
