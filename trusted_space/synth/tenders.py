"""Synthetic trading-centre tender records (OCDS 1.1) plus a bank's applicant batch.

The bid-quick-loan story lets a bank price credit for a company from its
tender and award history at public-resource trading centres, without either
side handing its records to the other. Demos and benchmarks need
release packages that look like what centres really publish, including what
makes real OCDS data awkward to join on: companies written two ways, the same
company at two centres, awards that fell through, and a bank batch with
mistyped or foreign identifiers. No real company appears in it.

Layout: ``out_dir/centre_a/releases-0001.json`` ... (one OCDS release package
per file, at most ``RELEASES_PER_FILE`` releases, one release per line, UTF-8)
for each centre, and ``out_dir/bank_applicants.csv`` (company_ref,company_id).

Release JSON is assembled column-wise with Arrow string kernels from fragments
rendered once per company, so a million releases take seconds rather than the
minutes a dict-and-``json.dumps`` per release would; every text that goes into
JSON comes from the fixed vocabularies below, which hold no character that
needs escaping (``_assert_json_safe`` keeps it so). The output is a pure
function of the arguments: no wall clock, no ``hash()``, and every random
stream comes from ``PCG64(seed)``, jumped per stage, so that the applicant
count does not move a single release.

Known simplifications: activity is constant over the six years (no firm is
founded or dissolved in the window); the item bought does not depend on the
kind of buyer; a company's chance of winning does not depend on its size;
every award has exactly one supplier, none for an unsuccessful one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from trusted_space.synth.health import (
    _day,
    _digits,
    _numbered,
    _strings,
    _write,
    _years_before,
    _ymd,
)

Progress = Callable[[str, int, int], None]
Array = NDArray[Any]

WINDOW_YEARS = 6
RELEASES_PER_FILE = 5_000
SECONDS_PER_DAY = 86_400
MIN_COMPANIES_PER_CENTRE = 50  # below this a centre cannot field 3-8 distinct tenderers

# --- unified social credit codes (GB 32100-2015) ------------------------------
# Kept apart from connectors.identifiers on purpose: the tests check these codes
# with that module, which would prove nothing if both shared one implementation.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_CHARSET_BYTES = np.frombuffer(USCC_CHARSET.encode("ascii"), np.uint8)
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], np.int64)
_ORG_PLACE = 31 ** np.arange(8, -1, -1, dtype=np.int64)  # 9 charset places -> a key
_ORG_SPACE = 31**9
NEW_STYLE_ORG_SHARE = 0.7  # codes issued since 2015 carry 'MA' + 7 characters
_M, _A = USCC_CHARSET.index("M"), USCC_CHARSET.index("A")
SCHEME = "CN-USCC"

# (county-level code, GB/T 2260; city as written in company names; weight)
REGIONS: tuple[tuple[str, str, float], ...] = (
    ("110105", "北京", 1.5), ("110108", "北京", 1.5), ("120101", "天津", 1.0),
    ("130102", "石家庄", 0.6), ("140105", "太原", 0.5), ("210102", "沈阳", 0.6),
    ("220102", "长春", 0.5), ("230103", "哈尔滨", 0.5), ("310104", "上海", 1.5),
    ("310115", "上海", 2.0), ("320102", "南京", 1.0), ("320506", "苏州", 1.0),
    ("330106", "杭州", 1.5), ("340104", "合肥", 0.7), ("350203", "厦门", 0.7),
    ("360102", "南昌", 0.5), ("370102", "济南", 0.6), ("370202", "青岛", 0.7),
    ("410105", "郑州", 0.7), ("420106", "武汉", 1.0), ("430104", "长沙", 0.8),
    ("440106", "广州", 2.0), ("440305", "深圳", 2.0), ("450103", "南宁", 0.5),
    ("500103", "重庆", 1.0), ("510107", "成都", 1.5), ("520102", "贵阳", 0.5),
    ("530102", "昆明", 0.5), ("610113", "西安", 0.8), ("620102", "兰州", 0.4),
    ("650102", "乌鲁木齐", 0.4),
)  # fmt: skip
_REGION_DIGITS = np.array([[ord(c) - 48 for c in code] for code, _, _ in REGIONS], np.int64)
_REGION_P = np.array([w for _, _, w in REGIONS]) / sum(w for _, _, w in REGIONS)
CITIES: tuple[str, ...] = tuple(dict.fromkeys(city for _, city, _ in REGIONS))
_REGION_CITY = np.array([CITIES.index(city) for _, city, _ in REGIONS])


@dataclass(frozen=True)
class Centre:
    """A trading centre: its OCDS prefix, its city and the districts of its buyers."""

    ocid_prefix: str
    code: str
    city: str
    publisher: str
    districts: tuple[tuple[str, str], ...]


CENTRES: tuple[Centre, ...] = (
    Centre("ocds-tsh001", "SH", "上海", "上海市公共资源交易中心", (
        ("310101", "黄浦区"), ("310104", "徐汇区"), ("310105", "长宁区"), ("310106", "静安区"),
        ("310107", "普陀区"), ("310109", "虹口区"), ("310110", "杨浦区"), ("310112", "闵行区"),
        ("310113", "宝山区"), ("310114", "嘉定区"), ("310115", "浦东新区"), ("310116", "金山区"),
        ("310117", "松江区"), ("310118", "青浦区"), ("310120", "奉贤区"), ("310151", "崇明区"),
    )),
    Centre("ocds-tgz002", "GZ", "广州", "广州公共资源交易中心", (
        ("440103", "荔湾区"), ("440104", "越秀区"), ("440105", "海珠区"), ("440106", "天河区"),
        ("440111", "白云区"), ("440112", "黄埔区"), ("440113", "番禺区"), ("440114", "花都区"),
        ("440115", "南沙区"), ("440117", "从化区"), ("440118", "增城区"),
    )),
    Centre("ocds-tsz003", "SZ", "深圳", "深圳公共资源交易中心", (
        ("440303", "罗湖区"), ("440304", "福田区"), ("440305", "南山区"), ("440306", "宝安区"),
        ("440307", "龙岗区"), ("440308", "盐田区"), ("440309", "龙华区"), ("440310", "坪山区"),
        ("440311", "光明区"),
    )),
    Centre("ocds-tcd004", "CD", "成都", "成都市公共资源交易服务中心", (
        ("510104", "锦江区"), ("510105", "青羊区"), ("510106", "金牛区"), ("510107", "武侯区"),
        ("510108", "成华区"), ("510112", "龙泉驿区"), ("510114", "新都区"), ("510115", "温江区"),
        ("510116", "双流区"),
    )),
    Centre("ocds-thz005", "HZ", "杭州", "杭州市公共资源交易中心", (
        ("330102", "上城区"), ("330105", "拱墅区"), ("330106", "西湖区"), ("330108", "滨江区"),
        ("330109", "萧山区"), ("330110", "余杭区"),
    )),
    Centre("ocds-tbj006", "BJ", "北京", "北京市公共资源交易中心", (
        ("110101", "东城区"), ("110102", "西城区"), ("110105", "朝阳区"), ("110106", "丰台区"),
        ("110108", "海淀区"), ("110112", "通州区"), ("110113", "顺义区"), ("110114", "昌平区"),
    )),
)  # fmt: skip

# --- buyers ------------------------------------------------------------------------
BUYERS_PER_CENTRE = 50
# (name after the district, organisation type: '1' government organ, '2' public institution)
AGENCIES: tuple[tuple[str, str], ...] = (
    ("卫生健康委员会", "1"), ("教育局", "1"), ("财政局", "1"), ("交通运输局", "1"),
    ("生态环境局", "1"), ("水务局", "1"), ("民政局", "1"), ("住房和城乡建设局", "1"),
    ("城市管理和综合执法局", "1"), ("农业农村局", "1"), ("文化和旅游局", "1"),
    ("市场监督管理局", "1"), ("人力资源和社会保障局", "1"), ("司法局", "1"),
    ("人民医院", "2"), ("中医医院", "2"), ("妇幼保健院", "2"), ("疾病预防控制中心", "2"),
    ("第一中学", "2"), ("实验小学", "2"), ("职业技术学校", "2"), ("图书馆", "2"),
    ("档案馆", "2"), ("城市建设管理中心", "2"),
)  # fmt: skip

# --- companies -------------------------------------------------------------------
ACTIVE_SHARE = 0.75  # companies that bid somewhere; the rest never do
SECOND_CENTRE_SHARE = 0.20  # of active companies, when there are two centres or more
HOME_CITY_BIAS = 4.0  # a company bids at its own city's centre this much more readily
ACTIVITY_SIGMA = 1.4  # lognormal spread: most companies bid rarely, a few very often
ACTIVITY_CAP = float(np.exp(3 * ACTIVITY_SIGMA))  # no firm bids at a third of all tenders
SECOND_CENTRE_ACTIVITY = 0.5  # away from home a company bids half as often
ALT_SPELLING_SHARE = 0.15  # companies that some releases write another way
ALT_USE_SHARE = 0.30  # of such a company's appearances, those in the other spelling

_BRAND_FIRST = (
    "华信恒泰德瑞安康盛宏鑫源达通诚博嘉景天海中广东新金龙永利兴隆"
    "辉明创科联宇晟汇和众智远启国美光元长星福万亚北南百云方大同卓"
)
_BRAND_SECOND = (
    "航峰润禾正合锦浩凯顺祥裕昌程邦晖成维诺拓腾耀越卓铭弘睿辰捷泽"
    "图骏杰旭朗逸淳弈衡宁丰茂发鸿运通达舟川业益坤嵘安泰盈基策驰瀚"
)
# A few trades carry Latin letters or digits, which some publishers write full-width.
INDUSTRIES: tuple[str, ...] = (
    "信息技术", "科技", "建设工程", "建筑工程", "医疗器械", "医药", "环保科技", "物业管理",
    "保安服务", "电子", "机电设备", "电力工程", "市政工程", "园林绿化", "装饰工程", "办公设备",
    "网络科技", "软件", "数据科技", "智能科技", "教育科技", "文化传媒", "印务", "食品",
    "餐饮管理", "汽车服务", "交通设施", "水务工程", "检测技术", "咨询", "工程咨询", "家具",
    "通信技术", "安防科技", "实业", "5G通信技术", "IT服务", "3D打印科技", "LED照明科技",
    "AI科技",
)  # fmt: skip
LEGAL_FORMS: tuple[str, ...] = ("有限公司", "有限责任公司", "股份有限公司")
_LEGAL_FORM_P = np.array([0.70, 0.18, 0.12])
PAREN_PATTERN_SHARE = 0.3  # '华信科技（上海）有限公司' rather than '上海华信科技有限公司'
_NAME_SPACE = 2 * len(_BRAND_FIRST) * len(_BRAND_SECOND) * len(INDUSTRIES)  # per city
ALT_WIDTH, ALT_NO_SUFFIX, ALT_SPACES = 0, 1, 2

# --- tenders ---------------------------------------------------------------------
RELEASES_PER_MEMBER = 11.0  # ~1M releases for 100k companies at two centres
_TENDERER_COUNTS = np.arange(3, 9)  # the Tendering Law wants three bids at least
_TENDERER_P = np.array([0.24, 0.22, 0.18, 0.14, 0.12, 0.10])
TWO_LOT_SHARE = 0.12
MIN_TENDER_DAYS = 20  # from notice to bid opening, Tendering and Bidding Law art. 24
# (item, median amount in yuan): works cost more than goods, goods than services
ITEMS: tuple[tuple[str, float], ...] = (
    ("医疗设备", 1.2e6), ("办公家具", 1.5e5), ("计算机及网络设备", 4e5),
    ("信息化系统建设", 8e5), ("软件开发服务", 5e5), ("物业管理服务", 6e5), ("保安服务", 3e5),
    ("食堂食材配送", 4e5), ("绿化养护服务", 3e5), ("道路维修工程", 2.5e6),
    ("校舍改造工程", 2e6), ("安防监控系统", 6e5), ("档案数字化服务", 2e5), ("印刷服务", 8e4),
    ("车辆租赁服务", 1.5e5), ("空调维保服务", 1e5), ("体检服务", 2e5), ("审计服务", 8e4),
    ("数据中心运维服务", 5e5), ("办公用品", 5e4), ("医用耗材", 8e5), ("实验室设备", 7e5),
    ("污水处理工程", 5e6), ("园林景观工程", 1.5e6),
)  # fmt: skip
_ITEM_LOG_MEDIAN = np.log([median for _, median in ITEMS])
AMOUNT_SIGMA = 1.0
MIN_CENTS, MAX_CENTS = 10_000 * 100, 50_000_000 * 100
SECOND_LOT_SCALE = 0.6
METHODS: tuple[tuple[str, str], ...] = (("open", "公开招标"), ("selective", "邀请招标"))
_METHOD_P = np.array([0.88, 0.12])

AWARD_STATUSES = ("active", "cancelled", "unsuccessful", "pending")
ACTIVE, CANCELLED, UNSUCCESSFUL, PENDING = range(4)
_SETTLED_STATUS_P = np.array([0.90, 0.04, 0.06, 0.0])
RECENT_DAYS = 30  # awards this close to end_date may still be in their publicity period
_RECENT_STATUS_P = np.array([0.36, 0.02, 0.02, 0.60])
TENDER_STATUSES = ("complete", "active", "unsuccessful", "cancelled")

# --- the bank's batch ------------------------------------------------------------
OUTSIDER_SHARE = 0.05
INVALID_SHARE = 0.01
REFORMATTED_SHARE = 0.02
# Of the applicants from the population: (bid at two centres or more, never bid);
# the rest bid at one centre. Banks see bidders first, but not only bidders.
_MULTI_CENTRE_SHARE, _NEVER_BID_SHARE = 0.25, 0.20
_FORBIDDEN = b"IOSVZ"
# Identifiers under other schemes (org-id.guide prefixes) that no centre knows.
OTHER_SCHEMES = (("GB-COH", 8), ("HK-CRO", 7))

APPLICANTS_FILE = "bank_applicants.csv"
_RELEASE_FILE = re.compile(r"releases-[0-9]{4,}\.json")


def _assert_distinct(chars: str) -> None:
    """Brand characters must differ, or two name keys would spell the same name."""
    if len(set(chars)) != len(chars):
        raise AssertionError(f"repeated characters in {chars!r}")


def _assert_json_safe(texts: Sequence[str]) -> None:
    """Every vocabulary string goes into JSON unescaped, so none may need escaping."""
    for text in texts:
        if any(c in '"\\' or ord(c) < 0x20 for c in text):
            raise AssertionError(f"{text!r} would need escaping in JSON")


_assert_distinct(_BRAND_FIRST)
_assert_distinct(_BRAND_SECOND)
_assert_json_safe(
    [*CITIES, _BRAND_FIRST, _BRAND_SECOND, *INDUSTRIES, *LEGAL_FORMS]
    + [a for a, _ in AGENCIES]
    + [item for item, _ in ITEMS]
    + [text for c in CENTRES for text in (c.city, c.publisher, *(d for _, d in c.districts))]
)


@dataclass(frozen=True)
class TenderSynthSummary:
    """What was written, so callers (and the CLI) can report without re-reading.

    ``company_mix`` counts companies that bid at least once (``active``), at
    two centres or more (``multi_centre``) and that appear under two spellings
    (``two_spellings``). ``applicant_mix`` is the ground truth of the bank's
    batch: companies from the population (``in_population``, split into
    ``multi_centre``, ``one_centre`` and ``never_bid``), valid codes of
    companies that exist nowhere else (``outsiders``), invalid codes
    (``invalid``), valid codes written in lower case or with spaces
    (``reformatted``) and ``scheme:id`` rows under another scheme (``other_scheme``).
    """

    out_dir: Path
    companies: int
    seed: int
    end_date: date
    centres: tuple[str, ...]
    releases: dict[str, int] = field(default_factory=dict)
    buyers: dict[str, int] = field(default_factory=dict)
    files: dict[str, tuple[Path, ...]] = field(default_factory=dict)
    applicants_path: Path = Path(APPLICANTS_FILE)
    applicants: int = 0
    company_mix: dict[str, int] = field(default_factory=dict)
    applicant_mix: dict[str, int] = field(default_factory=dict)


@dataclass
class _Companies:
    """One company per row; ``chars`` holds the 18 code bytes."""

    chars: Array
    keys: Array  # region and organisation code as one integer, for uniqueness
    names: list[str]
    alt_names: list[str]  # the other spelling, or the name itself
    has_alt: Array
    activity: Array
    home: Array  # home centre, -1 for companies that never bid
    second: Array  # second centre, -1 for none


@dataclass
class _Parties:
    """JSON fragments per party, rendered once and picked per release with ``take``.

    Companies have two rows each: the name as registered, then the other spelling.
    """

    ref: pa.Array  # {"id":..,"name":..}
    head: pa.Array  # a parties[] entry up to its roles list


@dataclass
class _Buyers:
    names: pa.Array
    weight: Array
    parties: _Parties
    party_full: pa.Array  # the whole parties[] entry, roles ["buyer"]


@dataclass
class _Plan:
    """Everything about a centre's releases, one row per release, slot or award.

    Slots are tenderers, grouped by release through ``slot_offsets``; awards
    likewise through ``award_offsets``. ``award_slot`` is the winning slot, or
    -1 when the award is unsuccessful and names no supplier.
    """

    start_sec: Array
    end_sec: Array
    release_sec: Array
    buyer: Array
    item: Array
    method: Array
    tender_status: Array
    slot_offsets: Array
    slot_company: Array
    slot_alt: Array
    slot_supplier: Array
    award_offsets: Array
    award_sec: Array
    award_status: Array
    award_cents: Array
    award_slot: Array


# --- small vectorised helpers ------------------------------------------------------
def _duplicates(keys: Array) -> Array:
    """True for each element equal to one at a lower index."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    repeat = np.zeros(len(keys), bool)
    repeat[1:] = ordered[1:] == ordered[:-1]
    out = np.empty(len(keys), bool)
    out[order] = repeat
    return out


def _draw_org(rng: np.random.Generator, n: int, digits_only: bool = False) -> Array:
    """Nine organisation-code characters per row, as charset values."""
    org = rng.integers(0, 10, size=(n, 9))
    if not digits_only:
        new = rng.random(n) < NEW_STYLE_ORG_SHARE
        org[new, 0], org[new, 1] = _M, _A
        org[new, 2:] = rng.integers(0, 31, size=(int(new.sum()), 7))
    return org


def _unique_orgs(
    rng: np.random.Generator,
    group: Array,
    taken: Array | None = None,
    digits_only: bool = False,
) -> tuple[Array, Array]:
    """Organisation codes unique within ``group`` and whose keys are not ``taken``.

    Collisions are rare (31^7 new-style codes per region), so redrawing the few
    clashes converges in a round or two and keeps the draws deterministic.
    """
    org = _draw_org(rng, len(group), digits_only)
    while True:
        keys = group.astype(np.int64) * _ORG_SPACE + org @ _ORG_PLACE
        clash = _duplicates(keys)
        if taken is not None:
            clash |= np.isin(keys, taken)
        if not clash.any():
            return org, keys
        org[clash] = _draw_org(rng, int(clash.sum()), digits_only)


def _uscc(head: Array, org: Array) -> Array:
    """18 ASCII bytes per row from 8 leading digits and 9 organisation characters."""
    values = np.concatenate([head, org], axis=1).astype(np.int64)
    check = (31 - (values @ _USCC_WEIGHTS) % 31) % 31
    return _CHARSET_BYTES[np.concatenate([values, check[:, None]], axis=1)]


def _heads(kind: str, region_digits: Array) -> Array:
    """Registration authority and organisation type ('91' company, '11' organ, ...)."""
    head = np.empty((len(region_digits), 8), np.int64)
    head[:, 0:2] = [int(kind[0]), int(kind[1])]
    head[:, 2:] = region_digits
    return head


def _text(chars: Array) -> list[str]:
    return [row.tobytes().decode("ascii") for row in chars]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _half_width(text: str) -> str:
    return "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)


def _sample(rng: np.random.Generator, weights: Array, n: int) -> Array:
    cdf = np.cumsum(weights)
    return np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), len(cdf) - 1)


def _lists(offsets: Array, values: pa.Array) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def _take(values: pa.Array, index: Array) -> pa.Array:
    return pc.take(values, pa.array(index, pa.int64()))


def _iso(seconds: Array) -> pa.Array:
    """Local (China Standard Time) seconds as 'YYYY-MM-DDTHH:MM:SS+08:00'."""
    seconds = np.asarray(seconds, np.int64)
    y, m, d = _ymd(seconds // SECONDS_PER_DAY)
    clock = seconds % SECONDS_PER_DAY
    chars = np.empty((len(seconds), 25), np.uint8)
    chars[:, 0:4] = _digits(y, 4) + 48
    chars[:, 5:7] = _digits(m, 2) + 48
    chars[:, 8:10] = _digits(d, 2) + 48
    chars[:, 11:13] = _digits(clock // 3600, 2) + 48
    chars[:, 14:16] = _digits(clock // 60 % 60, 2) + 48
    chars[:, 17:19] = _digits(clock % 60, 2) + 48
    for at, text in ((4, b"-"), (7, b"-"), (10, b"T"), (13, b":"), (16, b":"), (19, b"+08:00")):
        chars[:, at : at + len(text)] = np.frombuffer(text, np.uint8)
    return _strings(chars)


def _amounts(cents: Array) -> pa.Array:
    """JSON numbers with exactly two decimals, as a ledger writes them."""
    whole = pc.cast(pa.array(cents // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), width=2, padding="0")
    return pc.binary_join_element_wise(whole, frac, ".")


# --- companies ---------------------------------------------------------------------
def _company_names(rng: np.random.Generator, city: Array) -> tuple[list[str], list[str], Array]:
    """Registered names unique by construction, and a second spelling for some.

    Uniqueness ignores the legal form, so that dropping it (a common way to
    write a name) never makes two companies look like one.
    """
    n = len(city)
    if n and np.bincount(city).max() > _NAME_SPACE // 2:
        # Redrawing clashes slows down sharply as a city's names run out.
        raise ValueError(f"{n} companies do not fit the name space of {len(CITIES)} cities")
    local = rng.integers(0, _NAME_SPACE, n)
    while (clash := _duplicates(city * _NAME_SPACE + local)).any():
        local[clash] = rng.integers(0, _NAME_SPACE, int(clash.sum()))
    industry = local % len(INDUSTRIES)
    rest = local // len(INDUSTRIES)
    second = rest % len(_BRAND_SECOND)
    rest //= len(_BRAND_SECOND)
    first = rest % len(_BRAND_FIRST)
    paren = rest // len(_BRAND_FIRST) == 1
    form = _sample(rng, _LEGAL_FORM_P, n)

    has_alt = rng.random(n) < ALT_SPELLING_SHARE
    kind = rng.integers(0, 3, n)
    space_kind = rng.integers(0, 3, n)

    names: list[str] = []
    alts: list[str] = []
    for i in range(n):
        brand = _BRAND_FIRST[first[i]] + _BRAND_SECOND[second[i]]
        trade = INDUSTRIES[industry[i]]
        where = CITIES[city[i]]
        legal = LEGAL_FORMS[form[i]]
        if paren[i]:
            body, tail = f"{brand}{trade}", f"（{where}）{legal}"
        else:
            body, tail = f"{where}{brand}", f"{trade}{legal}"
        name = body + tail
        names.append(name)
        if not has_alt[i]:
            alts.append(name)
            continue
        k = kind[i]
        if k == ALT_WIDTH and not (paren[i] or any(c.isascii() for c in trade)):
            k = ALT_NO_SUFFIX + space_kind[i] % 2  # nothing to widen: spaces or no suffix
        if k == ALT_WIDTH:
            # Registered names use full-width brackets and half-width letters.
            alt = _half_width(name) if paren[i] else _full_width(name)
        elif k == ALT_NO_SUFFIX:
            alt = name[: -len(legal)]
        else:
            alt = (f"{body} {tail}", f"{body}\u3000{tail}", f"{name}  ")[space_kind[i]]
        alts.append(alt)
    _assert_json_safe(alts)
    return names, alts, has_alt


def _population(rng: np.random.Generator, companies: int, centres: int) -> _Companies:
    """Companies with unique codes and names, their activity and where they bid."""
    region = _sample(rng, _REGION_P, companies)
    org, keys = _unique_orgs(rng, region)
    chars = _uscc(_heads("91", _REGION_DIGITS[region]), org)
    city = _REGION_CITY[region]
    names, alts, has_alt = _company_names(rng, city)

    activity = np.minimum(rng.lognormal(0.0, ACTIVITY_SIGMA, companies), ACTIVITY_CAP)
    active = rng.random(companies) < ACTIVE_SHARE
    at_home = np.array(
        [[CITIES[c] == centre.city for centre in CENTRES[:centres]] for c in range(len(CITIES))]
    )
    home_w = 1.0 + HOME_CITY_BIAS * at_home[city]
    cdf = np.cumsum(home_w, axis=1)
    u = rng.random(companies) * cdf[:, -1]
    home = np.minimum((cdf <= u[:, None]).sum(axis=1), centres - 1)
    home = np.where(active, home, -1)
    second = np.full(companies, -1)
    if centres >= 2:
        two = active & (rng.random(companies) < SECOND_CENTRE_SHARE)
        shift = 1 + rng.integers(0, centres - 1, companies)
        second = np.where(two, (home + shift) % centres, -1)
    return _Companies(chars, keys, names, alts, has_alt, activity, home, second)


def _company_parties(population: _Companies) -> _Parties:
    codes = _text(population.chars)
    refs: list[str] = []
    heads: list[str] = []
    for spelling in (population.names, population.alt_names):
        for code, name in zip(codes, spelling, strict=True):
            refs.append(f'{{"id":"{SCHEME}-{code}","name":"{name}"}}')
            heads.append(
                f'{{"id":"{SCHEME}-{code}","name":"{name}","identifier":'
                f'{{"scheme":"{SCHEME}","id":"{code}","legalName":"{name}"}},"roles":['
            )
    return _Parties(pa.array(refs, pa.string()), pa.array(heads, pa.string()))


# --- buyers ---------------------------------------------------------------------------
def _buyers(rng: np.random.Generator, centre: Centre) -> _Buyers:
    """District agencies and institutions, each with its own '11'/'12' code."""
    pairs = len(centre.districts) * len(AGENCIES)
    pick = np.sort(rng.choice(pairs, size=min(BUYERS_PER_CENTRE, pairs), replace=False))
    district, agency = pick // len(AGENCIES), pick % len(AGENCIES)
    digits = np.array([[ord(c) - 48 for c in code] for code, _ in centre.districts], np.int64)
    kind = np.array([int(AGENCIES[a][1]) for a in agency])
    org, _ = _unique_orgs(rng, district * 10 + kind, digits_only=True)
    head = _heads("11", digits[district])
    head[:, 1] = kind
    codes = _text(_uscc(head, org))
    names = [
        f"{centre.city}市{centre.districts[d][1]}{AGENCIES[a][0]}"
        for d, a in zip(district, agency, strict=True)
    ]
    refs = [f'{{"id":"{SCHEME}-{c}","name":"{n}"}}' for c, n in zip(codes, names, strict=True)]
    heads = [
        f'{{"id":"{SCHEME}-{c}","name":"{n}","identifier":'
        f'{{"scheme":"{SCHEME}","id":"{c}","legalName":"{n}"}},"roles":['
        for c, n in zip(codes, names, strict=True)
    ]
    full = [h + '"buyer"]}' for h in heads]
    return _Buyers(
        names=pa.array(names, pa.string()),
        weight=rng.lognormal(0.0, 0.8, len(names)),
        parties=_Parties(pa.array(refs, pa.string()), pa.array(heads, pa.string())),
        party_full=pa.array(full, pa.string()),
    )


# --- releases -------------------------------------------------------------------------
def _tenderers(rng: np.random.Generator, weight: Array, per_release: Array) -> tuple[Array, Array]:
    """Distinct members per release, drawn in proportion to ``weight``.

    Weighted draws with replacement, then only the repeats are redrawn; after a
    few rounds repeats are redrawn uniformly, which ends even when a release
    asks for nearly every member of a small centre.
    """
    releases = len(per_release)
    offsets = np.zeros(releases + 1, np.int64)
    np.cumsum(per_release, out=offsets[1:])
    release_of = np.repeat(np.arange(releases), per_release)
    cdf = np.cumsum(weight)
    pos = np.minimum(
        np.searchsorted(cdf, rng.random(len(release_of)) * cdf[-1], side="right"), len(cdf) - 1
    )
    rounds = 0
    while (clash := _duplicates(release_of * len(weight) + pos)).any():
        k = int(clash.sum())
        if rounds < 5:
            pos[clash] = np.minimum(
                np.searchsorted(cdf, rng.random(k) * cdf[-1], side="right"), len(cdf) - 1
            )
        else:
            pos[clash] = rng.integers(0, len(weight), k)
        rounds += 1
    return offsets, pos


def _plan(
    rng: np.random.Generator,
    members: Array,
    member_weight: Array,
    has_alt: Array,
    buyers: _Buyers,
    releases: int,
    window: tuple[int, int],
) -> _Plan:
    start_day_lo, end_day = window
    lots = 1 + (rng.random(releases) < TWO_LOT_SHARE)
    period = MIN_TENDER_DAYS + rng.integers(0, 11, releases)
    # Evaluation, then a three-day publicity period before the award is final.
    lag1 = np.minimum(3 + np.floor(rng.gamma(2.0, 5.0, releases)).astype(np.int64), 40)
    lag2 = lag1 + rng.integers(0, 15, releases)
    last_lag = np.where(lots == 2, lag2, lag1)
    hi = end_day - period - last_lag
    start_day = start_day_lo + np.floor(rng.random(releases) * (hi - start_day_lo + 1)).astype(
        np.int64
    )
    start_sec = (
        start_day * SECONDS_PER_DAY + 8 * 3600 + 1800 + rng.integers(0, 9 * 60, releases) * 60
    )
    # ocids follow the order in which tenders were announced, as a register's would.
    order = np.argsort(start_sec, kind="stable")
    lots, period, lag1, lag2 = lots[order], period[order], lag1[order], lag2[order]
    start_day, start_sec = start_day[order], start_sec[order]
    end_sec = (start_day + period) * SECONDS_PER_DAY + 9 * 3600 + 1800

    n_members = len(members)
    per_release = np.minimum(
        _TENDERER_COUNTS[_sample(rng, _TENDERER_P, releases)], max(n_members, 1)
    )
    slot_offsets, pos = _tenderers(rng, member_weight, per_release)
    slot_company = members[pos]
    # One spelling per company and release: a notice is written by one clerk.
    slot_alt = has_alt[slot_company] & (rng.random(len(slot_company)) < ALT_USE_SHARE)

    award_offsets = np.zeros(releases + 1, np.int64)
    np.cumsum(lots, out=award_offsets[1:])
    award_release = np.repeat(np.arange(releases), lots)
    second_lot = np.zeros(len(award_release), bool)
    second_lot[award_offsets[:-1][lots == 2] + 1] = True
    award_day = start_day[award_release] + period[award_release]
    award_day += np.where(second_lot, lag2[award_release], lag1[award_release])
    n_awards = len(award_release)
    award_sec = award_day * SECONDS_PER_DAY + 9 * 3600 + rng.integers(0, 9 * 3600, n_awards)
    recent = award_day > end_day - RECENT_DAYS
    status = np.where(
        recent,
        _sample(rng, _RECENT_STATUS_P, n_awards),
        _sample(rng, _SETTLED_STATUS_P, n_awards),
    )
    winner = slot_offsets[award_release] + np.floor(
        rng.random(n_awards) * per_release[award_release]
    ).astype(np.int64)
    award_slot = np.where(status == UNSUCCESSFUL, -1, winner)
    slot_supplier = np.zeros(len(slot_company), bool)
    slot_supplier[award_slot[award_slot >= 0]] = True

    item = rng.integers(0, len(ITEMS), releases)
    log_median = _ITEM_LOG_MEDIAN[item[award_release]] + np.where(
        second_lot, np.log(SECOND_LOT_SCALE), 0.0
    )
    cents = np.rint(rng.lognormal(log_median, AMOUNT_SIGMA) * 100).astype(np.int64)
    while (out := (cents < MIN_CENTS) | (cents > MAX_CENTS)).any():
        cents[out] = np.rint(rng.lognormal(log_median[out], AMOUNT_SIGMA) * 100).astype(np.int64)

    # A tender is complete once any lot is awarded; otherwise its lots decide.
    def any_lot(code: int) -> Array:
        return np.add.reduceat((status == code).astype(np.int64), award_offsets[:-1]) > 0

    tender_status = np.select(
        [any_lot(ACTIVE), any_lot(PENDING), ~any_lot(CANCELLED)], [0, 1, 2], 3
    )
    return _Plan(
        start_sec=start_sec,
        end_sec=end_sec,
        release_sec=np.maximum.reduceat(award_sec, award_offsets[:-1]),
        buyer=_sample(rng, buyers.weight, releases),
        item=item,
        method=_sample(rng, _METHOD_P, releases),
        tender_status=tender_status,
        slot_offsets=slot_offsets,
        slot_company=slot_company,
        slot_alt=slot_alt,
        slot_supplier=slot_supplier,
        award_offsets=award_offsets,
        award_sec=award_sec,
        award_status=status,
        award_cents=cents,
        award_slot=award_slot,
    )


_ROLE_TAILS = pa.array(['"tenderer"]}', '"tenderer","supplier"]}'], pa.string())
_STATUS_TEXT = pa.array(AWARD_STATUSES, pa.string())
_TENDER_STATUS_TEXT = pa.array(TENDER_STATUSES, pa.string())
_ITEM_TEXT = pa.array([item for item, _ in ITEMS], pa.string())
_METHOD_TEXT = pa.array([m for m, _ in METHODS], pa.string())
_METHOD_DETAILS = pa.array([d for _, d in METHODS], pa.string())


def _render(
    plan: _Plan,
    lo: int,
    hi: int,
    centre: Centre,
    companies: _Parties,
    n_companies: int,
    buyers: _Buyers,
    seq_width: int,
) -> pa.Scalar:
    """Releases ``lo`` to ``hi`` as JSON lines joined by ',\\n', in one string."""
    count = hi - lo
    s0, s1 = int(plan.slot_offsets[lo]), int(plan.slot_offsets[hi])
    who = plan.slot_company[s0:s1] + n_companies * plan.slot_alt[s0:s1]
    slot_lists = plan.slot_offsets[lo : hi + 1] - s0
    parties = pc.binary_join_element_wise(
        _take(companies.head, who), _take(_ROLE_TAILS, plan.slot_supplier[s0:s1].astype(int)), ""
    )
    parties = pc.binary_join(_lists(slot_lists, parties), ",")
    tenderers = pc.binary_join(_lists(slot_lists, _take(companies.ref, who)), ",")

    a0, a1 = int(plan.award_offsets[lo]), int(plan.award_offsets[hi])
    award_lists = plan.award_offsets[lo : hi + 1] - a0
    lot = (
        np.arange(a0, a1)
        - np.repeat(plan.award_offsets[lo:hi], np.diff(plan.award_offsets[lo : hi + 1]))
        + 1
    )
    win = plan.award_slot[a0:a1]
    winner = plan.slot_company[np.maximum(win, 0)] + n_companies * plan.slot_alt[np.maximum(win, 0)]
    supplier = pc.if_else(pa.array(win >= 0), _take(companies.ref, winner), "")
    seq = np.arange(lo, hi) + 1
    ocid = _numbered(centre.ocid_prefix + "-", seq, seq_width)
    award_ocid = _take(ocid, np.repeat(np.arange(count), np.diff(award_lists)))
    awards = pc.binary_join_element_wise(
        '{"id":"', award_ocid, "-A", pc.cast(pa.array(lot), pa.string()),
        '","date":"', _iso(plan.award_sec[a0:a1]),
        '","status":"', _take(_STATUS_TEXT, plan.award_status[a0:a1]),
        '","value":{"amount":', _amounts(plan.award_cents[a0:a1]),
        ',"currency":"CNY"},"suppliers":[', supplier, "]}",
        "",
    )  # fmt: skip
    awards = pc.binary_join(_lists(award_lists, awards), ",")

    buyer = plan.buyer[lo:hi]
    year = _ymd(plan.start_sec[lo:hi] // SECONDS_PER_DAY)[0]
    title = pc.binary_join_element_wise(
        _take(buyers.names, buyer),
        pc.cast(pa.array(year), pa.string()),
        "年",
        _take(_ITEM_TEXT, plan.item[lo:hi]),
        "采购项目",
        "",
    )
    method = plan.method[lo:hi]
    releases = pc.binary_join_element_wise(
        '{"ocid":"', ocid, '","id":"', ocid, "-01",
        '","date":"', _iso(plan.release_sec[lo:hi]),
        '","tag":["tender","award"],"initiationType":"tender","buyer":',
        _take(buyers.parties.ref, buyer),
        ',"parties":[', _take(buyers.party_full, buyer), ",", parties,
        '],"tender":{"id":"', _numbered(centre.code + "ZB", seq, seq_width),
        '","title":"', title,
        '","status":"', _take(_TENDER_STATUS_TEXT, plan.tender_status[lo:hi]),
        '","procurementMethod":"', _take(_METHOD_TEXT, method),
        '","procurementMethodDetails":"', _take(_METHOD_DETAILS, method),
        '","tenderPeriod":{"startDate":"', _iso(plan.start_sec[lo:hi]),
        '","endDate":"', _iso(plan.end_sec[lo:hi]),
        '"},"numberOfTenderers":', pc.cast(pa.array(np.diff(slot_lists)), pa.string()),
        ',"tenderers":[', tenderers, ']},"awards":[', awards, "]}",
        "",
    )  # fmt: skip
    return pc.binary_join(_lists(np.array([0, count]), releases), ",\n")[0]


def _write_package(path: Path, header: str, body: pa.Scalar) -> None:
    """One release package, under a temporary name until it is complete."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(header.encode("utf-8"))
            fh.write(body.as_buffer())
            fh.write(b"\n]}\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _package_header(centre: Centre, folder: str, name: str, end_date: date) -> str:
    host = f"https://{folder.replace('_', '-')}.ggzy.example"
    return (
        f'{{"uri":"{host}/ocds/{name}","version":"1.1",'
        f'"publishedDate":"{end_date.isoformat()}T23:59:59+08:00",'
        f'"publisher":{{"name":"{centre.publisher}","uri":"{host}"}},"releases":[\n'
    )


# --- the bank's batch ----------------------------------------------------------------
def _applicant_counts(count: int) -> tuple[int, int, int, int]:
    """(from the population, outsiders, invalid, other scheme) for ``count`` rows."""
    invalid = max(round(count * INVALID_SHARE), 1 if count >= 50 else 0)
    other = 0 if count < 20 else 1 if count < 200 else 2
    outsiders = round(count * OUTSIDER_SHARE)
    return count - outsiders - invalid - other, outsiders, invalid, other


def _invalidate(rng: np.random.Generator, chars: Array, kind: int) -> str:
    """A code made invalid in exactly one way: check character, letter or length."""
    row = chars.copy()
    if kind == 0:
        here = USCC_CHARSET.index(chr(row[17]))
        row[17] = _CHARSET_BYTES[(here + int(rng.integers(1, 31))) % 31]
    elif kind == 1:
        row[int(rng.integers(8, 17))] = _FORBIDDEN[int(rng.integers(len(_FORBIDDEN)))]
    else:
        cut = int(rng.integers(0, 18))
        if rng.random() < 0.5:
            row = np.delete(row, cut)
        else:
            row = np.insert(row, cut, _CHARSET_BYTES[int(rng.integers(0, 31))])
    return row.tobytes().decode("ascii")


def _reformat(rng: np.random.Generator, code: str, lower: bool) -> str:
    """A valid code as people type it: lower case, or grouped or padded with spaces."""
    if lower and not code.isdigit():
        return code.lower()
    style = int(rng.integers(3))
    if style == 0:
        return " ".join(code[i : i + 4] for i in range(0, 18, 4))
    return (f" {code}", f"{code}  ")[style - 1]


def _pick(rng: np.random.Generator, pools: Sequence[Array], wanted: Sequence[int]) -> list[Array]:
    """``wanted[i]`` from each pool; what a pool lacks is asked of the next ones."""
    picked: list[Array] = []
    carry = 0
    for pool, want in zip(pools, wanted, strict=True):
        take = min(len(pool), want + carry)
        carry += want - take
        picked.append(rng.choice(pool, size=take, replace=False) if take else pool[:0])
    if carry:
        # The last pools came up short: top up from the others' leftovers.
        rest = np.setdiff1d(np.concatenate(pools), np.concatenate(picked))
        picked[-1] = np.concatenate([picked[-1], rng.choice(rest, size=carry, replace=False)])
    return picked


def _applicants(
    rng: np.random.Generator, population: _Companies, centres_bid: Array, count: int
) -> tuple[pa.Table, dict[str, int]]:
    n_pop, n_out, n_invalid, n_other = _applicant_counts(count)
    multi = np.flatnonzero(centres_bid >= 2)
    never = np.flatnonzero(centres_bid == 0)
    one = np.flatnonzero(centres_bid == 1)
    want_multi = round(n_pop * _MULTI_CENTRE_SHARE)
    want_never = round(n_pop * _NEVER_BID_SHARE)
    got_multi, got_never, got_one = _pick(
        rng, (multi, never, one), (want_multi, want_never, n_pop - want_multi - want_never)
    )
    members = np.concatenate([got_multi, got_never, got_one])

    region = _sample(rng, _REGION_P, n_out + n_invalid)
    org, _ = _unique_orgs(rng, region, taken=population.keys)
    others = _uscc(_heads("91", _REGION_DIGITS[region]), org)
    valid = _text(np.concatenate([population.chars[members], others[:n_out]]))

    n_reformatted = round(len(valid) * REFORMATTED_SHARE)
    for j, i in enumerate(rng.choice(len(valid), size=n_reformatted, replace=False).tolist()):
        valid[i] = _reformat(rng, valid[i], lower=j % 2 == 0)
    invalid = [_invalidate(rng, others[n_out + i], i % 3) for i in range(n_invalid)]
    other = [
        f"{scheme}:{int(rng.integers(10 ** (width - 1), 10**width)):0{width}d}"
        for scheme, width in OTHER_SCHEMES[:n_other]
    ]
    written = valid + invalid + other

    order = rng.permutation(count)
    width = max(6, len(str(count)))
    table = pa.table(
        {
            "company_ref": _numbered("LOAN", np.arange(1, count + 1), width),
            "company_id": pa.array([written[i] for i in order.tolist()], pa.string()),
        }
    )
    mix = {
        "in_population": n_pop,
        "multi_centre": len(got_multi),
        "one_centre": len(got_one),
        "never_bid": len(got_never),
        "outsiders": n_out,
        "invalid": n_invalid,
        "reformatted": n_reformatted,
        "other_scheme": n_other,
    }
    return table, mix


# --- the generator ---------------------------------------------------------------------
def _streams(seed: int, centres: int) -> tuple[np.random.Generator, ...]:
    """Generators for the population, the bank's batch and each centre, in that order.

    Separate streams keep one stage's draws from shifting another's: the
    applicant count, say, leaves every release unchanged.
    """
    base = np.random.PCG64(seed)
    return tuple(np.random.Generator(base.jumped(i)) for i in range(2 + centres))


def centre_folder(k: int) -> str:
    """'centre_a', 'centre_b', ... for the k-th centre."""
    return f"centre_{'abcdefghijklmnopqrstuvwxyz'[k]}"


def generate_tenders(
    companies: int,
    seed: int,
    out_dir: Path,
    *,
    centres: int = 2,
    applicants: int | None = None,
    end_date: date = date(2026, 10, 31),
    progress: Progress | None = None,
) -> TenderSynthSummary:
    """Write each centre's OCDS release packages and the bank's applicant batch.

    ``applicants`` defaults to min(500, companies). Releases cover the six
    years up to and including ``end_date``. Files left in a centre's folder
    by an earlier, larger run are removed, so the folder always holds one
    consistent set. Names run out at about 1.2 million companies.
    """
    if not 1 <= centres <= len(CENTRES):
        raise ValueError(f"centres must be between 1 and {len(CENTRES)}")
    if companies < MIN_COMPANIES_PER_CENTRE * centres:
        raise ValueError(
            f"{centres} centres need at least {MIN_COMPANIES_PER_CENTRE * centres} companies"
        )
    count = min(500, companies) if applicants is None else applicants
    if count < 0:
        raise ValueError("applicants must not be negative")
    if _applicant_counts(count)[0] > companies:
        raise ValueError(f"{count} applicants are too many for {companies} companies")
    report = progress or (lambda stage, done, total: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    end_day = _day(end_date)
    window = (_day(_years_before(end_date, WINDOW_YEARS) + timedelta(days=1)), end_day)

    rng_population, rng_applicants, *rng_centres = _streams(seed, centres)
    report("companies", 0, companies)
    population = _population(rng_population, companies, centres)
    company_parties = _company_parties(population)
    report("companies", companies, companies)

    folders = tuple(centre_folder(k) for k in range(centres))
    bids = np.zeros((centres, companies), np.int64)
    spellings = np.zeros((2, companies), bool)
    releases: dict[str, int] = {}
    buyer_counts: dict[str, int] = {}
    files: dict[str, tuple[Path, ...]] = {}
    for k, (centre, folder, rng) in enumerate(
        zip(CENTRES[:centres], folders, rng_centres, strict=True)
    ):
        buyers = _buyers(rng, centre)
        members = np.flatnonzero((population.home == k) | (population.second == k))
        weight = population.activity[members] * np.where(
            population.home[members] == k, 1.0, SECOND_CENTRE_ACTIVITY
        )
        total = round(RELEASES_PER_MEMBER * len(members))
        if total:  # a centre nobody bids at publishes nothing
            plan = _plan(rng, members, weight, population.has_alt, buyers, total, window)
            bids[k] = np.bincount(plan.slot_company, minlength=companies)
            spellings[0, plan.slot_company[~plan.slot_alt]] = True
            spellings[1, plan.slot_company[plan.slot_alt]] = True

        where = out_dir / folder
        where.mkdir(exist_ok=True)
        seq_width = max(8, len(str(total)))
        written: list[Path] = []
        report(folder, 0, total)
        for lo in range(0, total, RELEASES_PER_FILE):
            hi = min(lo + RELEASES_PER_FILE, total)
            path = where / f"releases-{len(written) + 1:04d}.json"
            body = _render(plan, lo, hi, centre, company_parties, companies, buyers, seq_width)
            _write_package(path, _package_header(centre, folder, path.name, end_date), body)
            written.append(path)
            report(folder, hi, total)
        for stale in where.iterdir():
            if _RELEASE_FILE.fullmatch(stale.name) and stale not in written:
                stale.unlink()
        releases[folder] = total
        buyer_counts[folder] = len(buyers.names)
        files[folder] = tuple(written)

    centres_bid = (bids > 0).sum(axis=0)
    report("bank_applicants", 0, count)
    batch, mix = _applicants(rng_applicants, population, centres_bid, count)
    applicants_path = out_dir / APPLICANTS_FILE
    _write(applicants_path, batch)
    report("bank_applicants", count, count)

    return TenderSynthSummary(
        out_dir=out_dir,
        companies=companies,
        seed=seed,
        end_date=end_date,
        centres=folders,
        releases=releases,
        buyers=buyer_counts,
        files=files,
        applicants_path=applicants_path,
        applicants=count,
        company_mix={
            "active": int((centres_bid > 0).sum()),
            "multi_centre": int((centres_bid >= 2).sum()),
            "two_spellings": int((spellings[0] & spellings[1]).sum()),
        },
        applicant_mix=mix,
    )
