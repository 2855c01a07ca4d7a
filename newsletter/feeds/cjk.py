"""Chinese and Japanese feed text: the boilerplate, credits and datelines an entry must not quote.

Chinese tech sites open an article with who wrote it and where it was first published
("本文来自微信公众号…，36氪经授权发布", "作者：…", "编者按：…"), a dateline ("凤凰科技讯 北京时间
10月26日消息，") or a picture credit ("图片来源：…"); Japanese ones with a link to the original
("［Engadget US版より（原文へ）］") or a gallery. clean_summary drops such sentences and cuts
datelines off the front of the first real one, so an entry starts with the news.
"""

from __future__ import annotations

import re

# A sentence that only credits, sources or promotes: dropped whole.
_CREDIT_RE = re.compile(
    r"^\s*[#＃]?\s*(?:"
    r"(?:本文|此文|该文|文章|全文)(?:来自|来源|来源于|作者|首发|转载|系|由|经|为|根据|编译自|译自)"
    r"|(?:作者|来源|出处|文|编辑|责编|责任编辑|译者|编译|题图|图片来源|图源|头图|封面图?|关于作者|专栏地址|原文|原标题"
    r"|原文链接|图|摄影|撮影|出典|写真|関連|参考)\s*[：:|｜/]"
    r"|[（(【\[［]\s*(?:图源|图片来源|来源|出典|写真|原文|Engadget\s*\w*\s*版より)[^）)】\]］]{0,60}[）)】\]］]\s*$"
    r"|【ギャラリー】|\[?ギャラリー\]?"
    r")"
)
# Promotion and contact lines found anywhere in a sentence.
_PROMO_RE = re.compile(
    r"经授权(?:发布|转载)|授权\S{0,12}(?:发布|转载)|转载请(?:联系|注明)|欢迎关注|欢迎(?:大家)?(?:与我)?联系"
    r"|(?:微信|公众)号\s*[：:（(]|我的微信|扫码关注|点击(?:阅读)?原文|原文へ"
)
# Labels before an editor's note: the note may be the news, so only the label goes.
_NOTE_LABEL_RE = re.compile(r"^\s*(?:编者按|编按|雷锋网按|按|导语|导读|摘要|概要)\s*[：:]\s*")
# Datelines: "凤凰科技讯 北京时间10月26日消息，", "TechWeb报道 10月26日消息，", "雷锋网消息，".
_DATELINE_RE = re.compile(
    r"^.{0,24}?[【\[]?\s*(?:[\w\u4e00-\u9fff·]{1,16}?(?:讯|消息|报道|电)\s*[】\]]?\s*)?"
    r"(?:[（(][^）)]{0,24}[）)]\s*)?"
    r"(?:北京时间|当地时间|美国时间)?\s*(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日\s*"
    r"(?:[上下晚早凌]\w?午?|晚间|凌晨)?\s*(?:消息|讯|电)\s*[，,：:]\s*"
    r"|^\s*[\w\u4e00-\u9fff·]{2,16}?(?:科技讯|讯|消息)\s*[，,：:]\s*"
)
# Date-list posts: "today in history" columns are no news.
DATE_LIST_RE = re.compile(
    r"おもなできごと|今日は何の日|历史上的今天|歷史上的今天|今日历史|this day in (?:tech )?history", re.I
)
_HAS_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    return not text.isascii() and bool(_HAS_CJK_RE.search(text))


def clean_sentence(sentence: str, first: bool) -> str:
    """The sentence without a note label or (when it opens the text) a dateline; "" when it is boilerplate."""
    if not has_cjk(sentence):
        return sentence
    sentence = _NOTE_LABEL_RE.sub("", sentence, count=1)
    if _CREDIT_RE.search(sentence) or _PROMO_RE.search(sentence):
        return ""
    if first:
        sentence = _DATELINE_RE.sub("", sentence, count=1)
    return sentence.strip()
