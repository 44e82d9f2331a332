"""Where goods move: customs offices, the routes from each supplier country, vehicle plates.

Why a module of its own: the trader profiles pick offices and routes from these tables and the
declarations write them out (border post, transit countries, transport mode, vehicle); both must
number the routes the same way, so the flat route list is built once, here.
"""

from __future__ import annotations

import numpy as np

OFFICES: tuple[tuple[str, str, str], ...] = (
    # code, name, city
    ("26001", "26001 Toshkent shahar bojxona boshqarmasi", "Tashkent"),
    ("26003", "26003 Chuqursoy TIF bojxona posti", "Tashkent"),
    ("18001", "18001 Samarqand viloyat bojxona boshqarmasi", "Samarkand"),
    ("50510", "50510 ДГД по г. Алматы, т/п «Алматы-ЦТО»", "Almaty"),
    ("50515", "50515 ДГД по г. Алматы, т/п «Достык-ЦТО»", "Almaty"),
    ("62001", "62001 ДГД по г. Астана, т/п «Астана-ЦТО»", "Astana"),
)
# (destination, dispatch) -> [(transit, border post, mode)]
ROUTES: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {
    ("UZ", "CN"): (("KZ", "Keles", "rail"), ("KG", "Dostlik (Andijon)", "road"), ("KZ", "Yallama", "road")),
    ("UZ", "TR"): (("GE;AZ;TM", "Alat", "road"), ("IR;TM", "Farap", "road"), ("", "Toshkent-Aero", "air")),
    ("UZ", "RU"): (("KZ", "Keles", "rail"), ("KZ", "Yallama", "road")),
    ("UZ", "DE"): (("PL;BY;RU;KZ", "Yallama", "road"), ("", "Toshkent-Aero", "air")),
    ("UZ", "KR"): (("CN;KZ", "Keles", "rail"), ("", "Toshkent-Aero", "air")),
    ("UZ", "IN"): (("IR;TM", "Alat", "road"), ("", "Toshkent-Aero", "air")),
    ("UZ", "AE"): (("IR;TM", "Farap", "road"), ("", "Toshkent-Aero", "air")),
    ("UZ", "IR"): (("TM", "Farap", "road"), ("TM", "Alat", "rail")),
    ("KZ", "CN"): (("", "Khorgos", "road"), ("", "Dostyk", "rail"), ("", "Khorgos", "rail")),
    ("KZ", "TR"): (("GE;AZ", "Aktau port", "sea"), ("", "Almaty-Aero", "air")),
    ("KZ", "RU"): (("", "Zhaisan", "road"), ("", "Petropavlovsk", "rail")),
    ("KZ", "DE"): (("PL;BY;RU", "Syrym", "road"), ("", "Almaty-Aero", "air")),
    ("KZ", "KR"): (("CN", "Dostyk", "rail"), ("", "Almaty-Aero", "air")),
    ("KZ", "IN"): (("IR;TM;UZ", "Zhibek Zholy", "road"), ("", "Almaty-Aero", "air")),
    ("KZ", "AE"): (("", "Almaty-Aero", "air"), ("IR;TM;UZ", "Zhibek Zholy", "road")),
    ("KZ", "IR"): (("TM;UZ", "Zhibek Zholy", "road"), ("", "Aktau port", "sea")),
}
FOREIGN_COUNTRIES = ("CN", "TR", "RU", "DE", "KR", "IN", "AE", "IR")
FOREIGN_WEIGHTS = np.array([0.36, 0.15, 0.14, 0.06, 0.08, 0.07, 0.09, 0.05])


def _numbered_by(keys) -> dict:
    """key -> the positions (0, 1, ...) at which it occurs, in order."""
    out: dict = {}
    for i, key in enumerate(keys):
        out.setdefault(key, []).append(i)
    return out


# every route as (destination, dispatch, transit, border post, mode), numbered in this order
ROUTE_LIST: list[tuple[str, str, str, str, str]] = [
    (dest, disp, tr, bp, mode) for (dest, disp), opts in ROUTES.items() for tr, bp, mode in opts]
# (destination, dispatch) -> the numbers of its routes
ROUTE_OPTS: dict[tuple[str, str], list[int]] = _numbered_by((dest, disp) for dest, disp, *_r in ROUTE_LIST)
# city -> the numbers of its customs offices
OFFICE_BY_CITY: dict[str, list[int]] = _numbered_by(city for _code, _name, city in OFFICES)


def plate(rng, country: str) -> str:
    """A vehicle registration plate in the style of `country`."""
    L = "ABCDEFHKMOPTXYZ"
    if country == "UZ":
        return (f"{rng.integers(1, 96):02d} {L[rng.integers(15)]} {rng.integers(100, 999)} "
                f"{L[rng.integers(15)]}{L[rng.integers(15)]}")
    if country == "KZ":
        return (f"{rng.integers(100, 999)} {L[rng.integers(15)]}{L[rng.integers(15)]}{L[rng.integers(15)]} "
                f"{rng.integers(1, 19):02d}")
    if country == "TR":
        return (f"{rng.integers(1, 81):02d} {L[rng.integers(15)]}{L[rng.integers(15)]} "
                f"{rng.integers(100, 9999)}")
    return (f"{L[rng.integers(15)]}{rng.integers(100, 999)}{L[rng.integers(15)]}{L[rng.integers(15)]}"
            f"{rng.integers(10, 199)}")
