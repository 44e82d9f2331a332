"""Vocabulary and record formatters for the typology simulator (`ingest.simulate`).

Why a module of its own: the simulator's realism lives in these lists (Uzbek and Kazakh company and
person names in Latin and Cyrillic, streets of Tashkent, Samarkand and Almaty, legal forms, phone
and account formats). Every word is a (Latin, Cyrillic) pair written as local registries write them,
so a duplicate record of one company can be produced in the other script, as happens when two
customs offices key the same firm in differently.

All functions take a numpy `Generator`: nothing here draws from global randomness.
"""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------- company names

NAME_A: tuple[tuple[str, str], ...] = (
    ("Vostok", "Восток"), ("Sharq", "Шарқ"), ("Oltin", "Олтин"), ("Baraka", "Барака"),
    ("Navruz", "Навруз"), ("Orient", "Ориент"), ("Turon", "Турон"), ("Zarafshon", "Зарафшон"),
    ("Ideal", "Идеал"), ("Mega", "Мега"), ("Evro", "Евро"), ("Aziya", "Азия"), ("Nur", "Нур"),
    ("Altyn", "Алтын"), ("Dala", "Дала"), ("Saryarka", "Сарыарка"), ("Aral", "Арал"),
    ("Tengri", "Тенгри"), ("Samruk", "Самрук"), ("Aksay", "Аксай"), ("Kaspiy", "Каспий"),
    ("Gold", "Голд"), ("Star", "Стар"), ("Prime", "Прайм"), ("Grand", "Гранд"), ("Delta", "Дельта"),
    ("Alfa", "Альфа"), ("Standart", "Стандарт"), ("Premium", "Премиум"), ("Farovon", "Фаровон"),
    ("Buxoro", "Бухоро"), ("Xorazm", "Хоразм"), ("Andijon", "Андижон"), ("Chorsu", "Чорсу"),
    ("Yangi Asr", "Янги Аср"), ("Osiyo", "Осиё"), ("Umid", "Умид"), ("Baxt", "Бахт"),
    ("Sanoat", "Саноат"), ("Qurilish", "Қурилиш"), ("Ipak Yoli", "Ипак Йўли"), ("Silk Way", "Силк Вэй"),
    ("Temir", "Темир"), ("Zhibek", "Жибек"), ("Kazyna", "Казына"), ("Atameken", "Атамекен"),
    ("Barys", "Барыс"), ("Sunkar", "Сункар"), ("Alatau", "Алатау"), ("Shanyrak", "Шанырак"),
    ("Registon", "Регистон"), ("Afrosiyob", "Афросиёб"), ("Bunyodkor", "Бунёдкор"), ("Imkon", "Имкон"),
    ("Kamolot", "Камолот"), ("Istiqlol", "Истиқлол"), ("Nodir", "Нодир"), ("Sevara", "Севара"),
    ("Ulugbek", "Улуғбек"), ("Meros", "Мерос"), ("Yulduz", "Юлдуз"), ("Lazurit", "Лазурит"),
)
NAME_B: tuple[tuple[str, str], ...] = (
    ("Treyd", "Трейд"), ("Savdo", "Савдо"), ("Invest", "Инвест"), ("Grupp", "Групп"),
    ("Logistik", "Логистик"), ("Tekstil", "Текстиль"), ("Impeks", "Импекс"), ("Servis", "Сервис"),
    ("Market", "Маркет"), ("Agro", "Агро"), ("Stroy", "Строй"), ("Avto", "Авто"), ("Plast", "Пласт"),
    ("Metall", "Металл"), ("Fud", "Фуд"), ("Farm", "Фарм"), ("Teks", "Текс"), ("Komfort", "Комфорт"),
    ("Eksport", "Экспорт"), ("Distribyushn", "Дистрибьюшн"), ("Biznes", "Бизнес"), ("Sanoat", "Саноат"),
    ("Elektro", "Электро"), ("Mebel", "Мебель"), ("Kimyo", "Кимё"), ("Optom", "Оптом"),
)
NAME_C: tuple[tuple[str, str], ...] = (
    ("", ""), ("", ""), ("", ""), ("Plyus", "Плюс"), ("Inter", "Интер"), ("Sistem", "Систем"),
    ("Kompani", "Компани"), ("Lyuks", "Люкс"), ("Holding", "Холдинг"), ("Center", "Центр"),
)

# legal forms by country: (latin, cyrillic)
LEGAL_FORMS: dict[str, tuple[tuple[str, str], ...]] = {
    "UZ": (("MChJ", "МЧЖ"), ("MChJ", "МЧЖ"), ("OOO", "ООО"), ("XK", "ХК"), ("AJ", "АЖ"), ("LLC", "LLC")),
    "KZ": (("TOO", "ТОО"), ("TOO", "ТОО"), ("LLP", "LLP"), ("AO", "АО")),
}
# equivalents a clerk may key for the same form (used for duplicate records)
FORM_VARIANTS: dict[str, tuple[str, ...]] = {
    "MChJ": ("OOO", "LLC", "MCHJ", "МЧЖ", "ООО"), "OOO": ("MChJ", "ООО", "LLC", "МЧЖ"),
    "XK": ("ХК", "Xususiy korxona"), "AJ": ("АЖ", "AO", "АО"), "LLC": ("MChJ", "OOO", "ООО"),
    "TOO": ("ТОО", "LLP", "TOO"), "LLP": ("TOO", "ТОО"), "AO": ("АО", "JSC"),
}

FOREIGN_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # country: (first words, second words, legal forms)
    "CN": (("Guangzhou", "Yiwu", "Shenzhen", "Urumqi", "Ningbo", "Xiamen", "Hangzhou", "Foshan", "Tianjin",
            "Qingdao", "Kashgar", "Harbin"),
           ("Hengda", "Jinlong", "Huaxin", "Tianrui", "Xinyuan", "Dongfang", "Haoyu", "Zhongtai", "Baili",
            "Ruifeng", "Kaida", "Sanhe", "Wanjia", "Jiahe"),
           ("Trading Co., Ltd.", "Import & Export Co., Ltd.", "Industrial Co., Ltd.",
            "Technology Co., Ltd.")),
    "TR": (("Yildiz", "Anadolu", "Ege", "Marmara", "Bosphorus", "Kardesler", "Ozturk", "Demir", "Aydin",
            "Kaya", "Celik", "Sahin"),
           ("Tekstil", "Gida", "Makina", "Plastik", "Otomotiv", "Insaat", "Kimya", "Ambalaj", "Mobilya"),
           ("San. ve Tic. A.S.", "Ltd. Sti.", "Dis Tic. Ltd. Sti.")),
    "RU": (("Sever", "Ural", "Volga", "Sibir", "Baltika", "Yug", "Tsentr", "Kama", "Amur", "Don"),
           ("Torg", "Snab", "Prom", "Logistika", "Impeks", "Komplekt", "Resurs", "Trans"),
           ("OOO", "AO", "OOO TD")),
    "DE": (("Mueller", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Koch", "Richter", "Wolf"),
           ("Maschinenbau", "Handels", "Technik", "Export", "Industrie", "Logistik", "Automotive"),
           ("GmbH", "GmbH & Co. KG", "AG")),
    "KR": (("Hanil", "Daesung", "Samwoo", "Kumho", "Dongil", "Sejin", "Hyunjin", "Shinwon"),
           ("Parts", "Electronics", "Chemical", "Industrial", "Trading", "Motors"),
           ("Co., Ltd.", "Corporation")),
    "IN": (("Sharma", "Patel", "Gupta", "Reliance", "Shree", "Ganesh", "Mahalaxmi", "Krishna"),
           ("Exports", "Pharma", "Textiles", "Overseas", "Impex", "Spices"),
           ("Pvt. Ltd.", "Limited", "LLP")),
    "AE": (("Al Noor", "Al Rashid", "Gulf Star", "Emirates", "Al Madina", "Desert Rose", "Falcon",
            "Jebel Ali"),
           ("General Trading", "Electronics Trading", "Re-Export", "Commercial", "Logistics"),
           ("LLC", "FZE", "FZCO", "DMCC")),
    "IR": (("Pars", "Tabriz", "Arya", "Kish", "Caspian", "Zagros"),
           ("Trading", "Commercial", "Industrial", "Food"), ("Co.", "Co. Ltd.")),
}
FOREIGN_CITIES: dict[str, tuple[str, ...]] = {
    "CN": ("Guangzhou, Baiyun District", "Yiwu, Futian Market", "Urumqi, Tianshan District",
           "Shenzhen, Futian",
           "Ningbo, Beilun"),
    "TR": ("Istanbul, Bagcilar", "Bursa, Osmangazi", "Izmir, Bornova", "Gaziantep, Sehitkamil"),
    "RU": ("Moskva, ul. Tverskaya", "Novosibirsk, ul. Lenina", "Ekaterinburg, ul. Malysheva",
           "Kazan, ul. Baumana"),
    "DE": ("Hamburg, Billstrasse", "Stuttgart, Industriestrasse", "Koeln, Hansaring",
           "Muenchen, Landsberger Str."),
    "KR": ("Seoul, Gangnam-gu", "Busan, Saha-gu", "Incheon, Namdong-gu", "Ulsan, Buk-gu"),
    "IN": ("Mumbai, Andheri East", "Delhi, Okhla Phase II", "Ahmedabad, Naroda", "Chennai, Guindy"),
    "AE": ("Dubai, Deira", "Dubai, Jebel Ali Free Zone", "Sharjah, SAIF Zone", "Dubai, Al Qusais"),
    "IR": ("Tehran, Enghelab St.", "Tabriz, Imam St.", "Mashhad, Ahmadabad"),
}
FOREIGN_DIAL: dict[str, str] = {"CN": "86", "TR": "90", "RU": "7", "DE": "49", "KR": "82", "IN": "91",
                                "AE": "971", "IR": "98"}

# --------------------------------------------------------------------------- persons

SURNAMES: tuple[tuple[str, str], ...] = (
    ("Karimov", "Каримов"), ("Rahimov", "Рахимов"), ("Yusupov", "Юсупов"), ("Abdullayev", "Абдуллаев"),
    ("Tursunov", "Турсунов"), ("Ismoilov", "Исмоилов"), ("Nazarov", "Назаров"), ("Mirzayev", "Мирзаев"),
    ("Xolmatov", "Холматов"), ("Saidov", "Саидов"), ("Qodirov", "Кодиров"), ("Ergashev", "Эргашев"),
    ("Umarov", "Умаров"), ("Aliyev", "Алиев"), ("Sultanov", "Султанов"), ("Nurmatov", "Нурматов"),
    ("Toshmatov", "Тошматов"), ("Raximberdiyev", "Рахимбердиев"), ("Usmonov", "Усмонов"),
    ("Jurayev", "Жураев"), ("Nurlanov", "Нурланов"), ("Abenov", "Абенов"), ("Zhaksybekov", "Жаксыбеков"),
    ("Omarov", "Омаров"), ("Beisenov", "Бейсенов"), ("Iskakov", "Искаков"), ("Sarsenbayev", "Сарсенбаев"),
    ("Kenzhebekov", "Кенжебеков"), ("Akhmetov", "Ахметов"), ("Dzhumabayev", "Джумабаев"),
)
FIRST_M: tuple[tuple[str, str], ...] = (
    ("Aziz", "Азиз"), ("Rustam", "Рустам"), ("Jasur", "Жасур"), ("Bekzod", "Бекзод"), ("Sardor", "Сардор"),
    ("Dilshod", "Дилшод"), ("Otabek", "Отабек"), ("Sherzod", "Шерзод"), ("Anvar", "Анвар"),
    ("Farrux", "Фаррух"), ("Timur", "Тимур"), ("Yerlan", "Ерлан"), ("Nurlan", "Нурлан"), ("Askar", "Аскар"),
    ("Daniyar", "Данияр"), ("Serik", "Серик"), ("Marat", "Марат"), ("Bakhtiyor", "Бахтиёр"),
)
FIRST_F: tuple[tuple[str, str], ...] = (
    ("Nodira", "Нодира"), ("Gulnora", "Гулнора"), ("Dilnoza", "Дилноза"), ("Malika", "Малика"),
    ("Aigerim", "Айгерим"), ("Asel", "Асель"), ("Saule", "Сауле"), ("Zarina", "Зарина"), ("Feruza", "Феруза"),
)


def person_name(rng: np.random.Generator, cyrillic: bool) -> str:
    """'Surname First Patronymic' as Central Asian registries list officers."""
    s = SURNAMES[rng.integers(len(SURNAMES))]
    female = rng.random() < 0.25
    f = (FIRST_F if female else FIRST_M)[rng.integers(len(FIRST_F if female else FIRST_M))]
    p = FIRST_M[rng.integers(len(FIRST_M))]
    i = 1 if cyrillic else 0
    sur = s[i] + ("а" if cyrillic else "a") if female else s[i]
    patr = p[i] + (("овна" if cyrillic else "ovna") if female else ("ович" if cyrillic else "ovich"))
    return f"{sur} {f[i]} {patr}"


# --------------------------------------------------------------------------- addresses

CITIES: dict[str, dict] = {
    "Tashkent": {
        "country": "UZ",
        "lat": "Toshkent sh.", "cyr": "г. Ташкент",
        "districts": (("Chilonzor", "Чиланзарский"), ("Yunusobod", "Юнусабадский"),
                      ("Mirzo Ulugbek", "Мирзо-Улугбекский"), ("Yakkasaroy", "Яккасарайский"),
                      ("Shayxontohur", "Шайхантахурский"), ("Sergeli", "Сергелийский"),
                      ("Olmazor", "Алмазарский"),
                      ("Mirobod", "Мирабадский"), ("Uchtepa", "Учтепинский"), ("Yashnobod", "Яшнабадский")),
        "streets": (("Bunyodkor", "Бунёдкор"), ("Amir Temur", "Амира Темура"), ("Nukus", "Нукус"),
                    ("Shota Rustaveli", "Шота Руставели"), ("Muqimiy", "Мукими"),
                    ("Fargona yoli", "Ферганский тракт"),
                    ("Labzak", "Лабзак"), ("Navoiy", "Навои"), ("Bobur", "Бабура"), ("Qatortol", "Катартал"),
                    ("Chimkent", "Чимкентская"), ("Beruniy", "Беруни"), ("Lutfiy", "Лутфи"),
                    ("Oybek", "Айбека")),
    },
    "Samarkand": {
        "country": "UZ",
        "lat": "Samarqand sh.", "cyr": "г. Самарканд",
        "districts": (("Samarqand", "Самаркандский"),),
        "streets": (("Registon", "Регистан"), ("Rudakiy", "Рудаки"), ("Amir Temur", "Амира Темура"),
                    ("Mirzo Ulugbek", "Мирзо Улугбека"), ("Dagbitskaya", "Дагбитская"),
                    ("Gagarin", "Гагарина")),
    },
    "Almaty": {
        "country": "KZ",
        "lat": "Almaty", "cyr": "г. Алматы",
        "districts": (("Almaly", "Алмалинский"), ("Bostandyk", "Бостандыкский"), ("Medeu", "Медеуский"),
                      ("Auezov", "Ауэзовский"), ("Zhetysu", "Жетысуский"), ("Turksib", "Турксибский")),
        "streets": (("Tole bi", "Толе би"), ("Abay", "Абая"), ("Zheltoksan", "Желтоксан"),
                    ("Raiymbek", "Райымбека"), ("Satpayev", "Сатпаева"), ("Rozybakiyev", "Розыбакиева"),
                    ("Dostyk", "Достык"), ("Suyunbay", "Суюнбая"), ("Timiryazev", "Тимирязева")),
    },
    "Astana": {
        "country": "KZ",
        "lat": "Astana", "cyr": "г. Астана",
        "districts": (("Yesil", "Есильский"), ("Almaty", "Алматинский"), ("Saryarka", "Сарыаркинский")),
        "streets": (("Kabanbay batyr", "Кабанбай батыра"), ("Kenesary", "Кенесары"),
                    ("Respublika", "Республики"),
                    ("Turan", "Туран"), ("Syganak", "Сыганак")),
    },
}
CITY_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {
    "UZ": (("Tashkent", 0.8), ("Samarkand", 0.2)),
    "KZ": (("Almaty", 0.75), ("Astana", 0.25)),
}

BUSINESS_CENTRES: tuple[tuple[str, str], ...] = (
    ("Tashkent", "Toshkent sh., Amir Temur shoh ko'chasi, 107B, \"Poytaxt Business Centre\""),
    ("Almaty", "г. Алматы, пр. Аль-Фараби, 77/7, БЦ «Esentai Tower»"),
    ("Tashkent", "Toshkent sh., Mustaqillik maydoni, 5, \"International Business Centre\""),
    ("Almaty", "г. Алматы, ул. Желтоксан, 115, БЦ «Каргалы»"),
    ("Tashkent", "г. Ташкент, ул. Шахрисабзская, 36, БЦ «Инконель»"),
    ("Samarkand", "Samarqand sh., Rudakiy ko'chasi, 43, \"Silk Road Business Centre\""),
)


def city_for(rng: np.random.Generator, country: str) -> str:
    u = rng.random()
    for name, w in CITY_WEIGHTS[country]:
        if u < w:
            return name
        u -= w
    return CITY_WEIGHTS[country][-1][0]


def address(rng: np.random.Generator, city: str, cyrillic: bool, flat: bool) -> str:
    """A registered address: street, house and (for a private flat) the flat, in local style."""
    c = CITIES[city]
    d = c["districts"][rng.integers(len(c["districts"]))]
    s = c["streets"][rng.integers(len(c["streets"]))]
    house = int(rng.integers(1, 240))
    letter = "" if rng.random() < 0.85 else "ABV"[rng.integers(3)]
    unit = int(rng.integers(1, 180))
    if c["country"] == "UZ":
        if cyrillic:
            a = f"{c['cyr']}, {d[1]} р-н, ул. {s[1]}, д. {house}{letter}"
            return a + (f", кв. {unit}" if flat else f", офис {unit}")
        a = f"{c['lat']}, {d[0]} tumani, {s[0]} ko'chasi, {house}{letter}-uy"
        return a + (f", {unit}-xonadon" if flat else f", {unit}-ofis")
    if cyrillic:
        a = f"{c['cyr']}, {d[1]} р-н, ул. {s[1]}, д. {house}{letter}"
        return a + (f", кв. {unit}" if flat else f", офис {unit}")
    a = f"{c['lat']}, {d[0]} district, {s[0]} str. {house}{letter}"
    return a + (f", apt. {unit}" if flat else f", office {unit}")


def address_variant(rng: np.random.Generator, a: str) -> str:
    """The same address keyed by another clerk: case and spacing differ, words do not."""
    k = int(rng.integers(4))
    if k == 0:
        return a.upper()
    if k == 1:
        return a.replace(", ", ",  ")
    if k == 2:
        return " " + a.replace(", ", ",") + " "
    return a


# --------------------------------------------------------------------------- identifiers

def uz_mobile(rng: np.random.Generator) -> str:
    """E.164 Uzbek mobile: +998 and an operator prefix."""
    op = ("90", "91", "93", "94", "95", "97", "98", "99", "33", "88")[rng.integers(10)]
    return f"+998{op}{rng.integers(0, 10_000_000):07d}"


def kz_mobile(rng: np.random.Generator) -> str:
    op = ("701", "702", "705", "707", "747", "771", "775", "777", "778")[rng.integers(9)]
    return f"+7{op}{rng.integers(0, 10_000_000):07d}"


def foreign_phone(rng: np.random.Generator, country: str) -> str:
    return f"+{FOREIGN_DIAL.get(country, '44')}{rng.integers(10**8, 10**9 * 9)}"


def phone_as_recorded(rng: np.random.Generator, e164: str, messy: float) -> str:
    """Render an E.164 number as clerks type it: spaces, dashes, brackets, 8-prefix in KZ."""
    if rng.random() >= messy:
        return e164
    if e164.startswith("+998"):
        n = e164[4:]
        k = int(rng.integers(4))
        return (f"+998 {n[:2]} {n[2:5]} {n[5:7]} {n[7:]}", f"998-{n[:2]}-{n[2:5]}-{n[5:7]}-{n[7:]}",
                f"({n[:2]}) {n[2:5]}-{n[5:7]}-{n[7:]}", f"+998({n[:2]}){n[2:]}")[k]
    if e164.startswith("+7"):
        n = e164[2:]
        k = int(rng.integers(4))
        return (f"8 {n[:3]} {n[3:6]} {n[6:8]} {n[8:]}", f"8({n[:3]}){n[3:6]}-{n[6:8]}-{n[8:]}",
                f"+7 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}", f"8{n}")[k]
    return f"{e164[:3]} {e164[3:6]} {e164[6:]}"


def uz_stir(rng: np.random.Generator, person: bool = False) -> str:
    """Uzbek STIR: 9 digits; legal entities start with 2 or 3, individuals with 4-6."""
    first = int(rng.integers(4, 7)) if person else int(rng.integers(2, 4))
    return f"{first}{rng.integers(0, 10**8):08d}"


def kz_bin(rng: np.random.Generator, registered: np.datetime64, person: bool = False) -> str | None:
    """Kazakh BIN (12 digits): yymm of registration, entity type, serial and the official check digit."""
    y, m = str(registered)[2:4], str(registered)[5:7]
    for _ in range(20):
        body = f"{y}{m}{'3' if person else '4'}{rng.integers(0, 2)}{rng.integers(0, 10**5):05d}"
        d = [int(ch) for ch in body]
        c = sum(w * x for w, x in zip(range(1, 12), d, strict=True)) % 11
        if c == 10:
            c = sum(w * x for w, x in zip([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], d, strict=True)) % 11
        if c < 10:
            return body + str(c)
    return None


def tax_id_as_recorded(rng: np.random.Generator, digits: str, messy: float) -> str:
    if rng.random() >= messy:
        return digits
    if len(digits) == 9:
        return (f"{digits[:3]} {digits[3:6]} {digits[6:]}", f"{digits[:3]}-{digits[3:6]}-{digits[6:]}")[
            rng.integers(2)]
    return (f"{digits[:6]} {digits[6:]}", f"{digits[:4]}-{digits[4:8]}-{digits[8:]}")[rng.integers(2)]


def uz_account(rng: np.random.Generator) -> str:
    """Uzbek settlement account: 20 digits, balance account 20208 (companies, UZS) + currency 000."""
    return f"20208000{rng.integers(0, 10**12):012d}"


def kz_iban(rng: np.random.Generator) -> str:
    """Kazakh IBAN (20 characters) with valid ISO 13616 check digits."""
    bank = ("601", "722", "998", "826", "914", "965")[rng.integers(6)]
    bban = f"{bank}KZT{rng.integers(0, 10**10):010d}"
    num = "".join(str(int(ch, 36)) for ch in bban + "KZ00")
    check = 98 - int(num) % 97
    return f"KZ{check:02d}{bban}"


def account_as_recorded(rng: np.random.Generator, acc: str, messy: float) -> str:
    if rng.random() >= messy:
        return acc
    return " ".join(acc[i:i + 4] for i in range(0, len(acc), 4))


TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "қ": "q", "ғ": "g", "ў": "o", "ҳ": "h",
})


FOREIGN_MAIL: dict[str, tuple[str, ...]] = {
    "CN": ("163.com", "qq.com", "126.com", "aliyun.com"), "TR": ("gmail.com", "hotmail.com", "yandex.com.tr"),
    "RU": ("mail.ru", "yandex.ru", "bk.ru"), "DE": ("gmx.de", "web.de", "t-online.de"),
    "KR": ("naver.com", "daum.net", "gmail.com"), "IN": ("gmail.com", "rediffmail.com", "yahoo.co.in"),
    "AE": ("gmail.com", "emirates.net.ae", "outlook.com"), "IR": ("gmail.com", "yahoo.com"),
}
LOCAL_MAIL = ("mail.ru", "gmail.com", "inbox.uz", "mail.kz", "yandex.ru", "umail.uz", "list.ru")


def email_for(rng: np.random.Generator, latin_stem: str, country: str | None = None) -> str:
    stem = "".join(ch for ch in latin_stem.lower() if ch.isalnum())[:14] or "info"
    doms = FOREIGN_MAIL.get(country or "", LOCAL_MAIL)
    dom = doms[rng.integers(len(doms))]
    pre = ("info.", "", "buh.", "office.", "")[rng.integers(5)]
    return f"{pre}{stem}{rng.integers(1, 999)}@{dom}"
