"""A town's own look: brands read from a TOML file and chosen by the request's host name."""

from klingel.brands.settings import (
    Brand,
    BrandError,
    Brands,
    Colours,
    Imprint,
    Logo,
    load_brands,
    parse_brands,
)

__all__ = [
    "Brand",
    "BrandError",
    "Brands",
    "Colours",
    "Imprint",
    "Logo",
    "load_brands",
    "parse_brands",
]
