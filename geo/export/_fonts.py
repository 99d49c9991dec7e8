"""Finding a font that draws Chinese for matplotlib, without internet."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from matplotlib import font_manager

__all__ = ["cjk_font_family", "has_bold"]

logger = logging.getLogger(__name__)

#: Font families that draw simplified Chinese, preferred first (Linux, Windows, macOS).
_CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)
#: Lower-case pieces of font file names that hold one of the families above.
_CJK_FILE_HINTS: tuple[str, ...] = (
    "notosanscjk",
    "notosanssc",
    "notoserifcjk",
    "sourcehansans",
    "wqy",
    "msyh",
    "simhei",
    "pingfang",
    "hiragino",
    "stheiti",
    "uming",
    "droidsansfallback",
)


def _known_family() -> str | None:
    available = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in _CJK_FAMILIES if family in available), None)


@functools.cache
def cjk_font_family() -> str | None:
    """Return the name of an installed font family that draws Chinese, or None.

    Looks in matplotlib's font list first, then among the system's font files (fonts
    installed after matplotlib built its font cache are missing from its list) and
    registers the ones whose file name marks them as Chinese fonts. On Debian and Ubuntu,
    ``apt-get install fonts-noto-cjk`` provides one.

    Returns
    -------
    str or None
        A font family name for ``matplotlib.rcParams["font.family"]``, or None when the
        system has no Chinese font.
    """
    family = _known_family()
    if family is not None:
        return family
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(hint in name for hint in _CJK_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError) as error:
                logger.debug("cannot register font %s: %s", path, error)
    family = _known_family()
    logger.info("Chinese font for maps: %s", family or "none found")
    return family


def has_bold(family: str) -> bool:
    """Return True if matplotlib knows a bold face of ``family``.

    Some Chinese fonts (WenQuanYi Micro Hei) have a regular face only; asking for bold
    then makes matplotlib log a warning for every text drawn.

    Parameters
    ----------
    family
        A font family name.

    Returns
    -------
    bool
    """
    for entry in font_manager.fontManager.ttflist:
        if entry.name != family:
            continue
        weight = entry.weight
        if isinstance(weight, str):
            weight = font_manager.weight_dict.get(weight, 400)
        if int(weight) >= 600:
            return True
    return False
