"""The default menu every station gets from ``ivr demo`` (and uses until it publishes one).

Language choice; 1 food and daily supplies, 2 medicine, 3 medical help (urgent cases told
to ring 120 first), 4 emotional support, 5 quarantine and policy questions, 0 the on-duty
worker; everything else ends in a voicemail. With the elderly-friendly settings on: slower
speech, ten seconds to press a key, * to hear a menu again, 0 for a person from any menu,
and callers the registry flags as elderly greeted and put through to the worker first.
"""

from __future__ import annotations

from typing import Any

from ivr.menus.yaml_source import dump_yaml

LANGUAGE_NAMES = {
    "zh": "普通话请按{key}。",
    "yue": "廣東話請按{key}。",
    "en": "For English, press {key}.",
}

TEXT: dict[str, dict[str, str]] = {
    "welcome": {
        "zh": "您好，这里是{station}社工站守护热线。",
        "yue": "你好，呢度係{station}社工站守護熱線。",
        "en": "Hello, this is the {station} social work station hotline.",
    },
    "main": {
        "zh": "需要粮油蔬菜等生活物资，请按1。需要买药，请按2。需要就医帮助，请按3。"
        "需要心理支持，请按4。咨询防疫和隔离政策，请按5。转接值班社工，请按0。",
        "yue": "需要米油菜等生活物資，請按1。需要買藥，請按2。需要就醫幫助，請按3。"
        "需要心理支援，請按4。查詢防疫及隔離政策，請按5。轉接值班社工，請按0。",
        "en": "For food and daily supplies, press 1. For medicine, press 2. For medical help, "
        "press 3. For emotional support, press 4. For quarantine and policy questions, "
        "press 5. To speak to the worker on duty, press 0.",
    },
    "invalid": {
        "zh": "对不起，没有这个选项。",
        "yue": "對唔住，冇呢個選項。",
        "en": "Sorry, that is not an option.",
    },
    "medical": {
        "zh": "如果情况危急，请立即挂断电话，拨打120急救电话。",
        "yue": "如果情況危急，請即刻收線，打120急救電話。",
        "en": "If this is an emergency, hang up now and dial 120 for an ambulance.",
    },
    "closed": {
        "zh": "现在不是值班时间。",
        "yue": "而家唔係當值時間。",
        "en": "No worker is on duty right now.",
    },
    "forward": {
        "zh": "正在为您转接值班社工，请稍候。",
        "yue": "而家幫你轉接當值社工，請稍候。",
        "en": "Connecting you to the worker on duty, please hold.",
    },
    "record": {
        "zh": "请在提示音后说出您的姓名、住址和需要的帮助，说完请挂机。社工会尽快给您回电。",
        "yue": "請喺提示音之後講低你嘅姓名、地址同需要嘅幫助，講完請收線。社工會盡快覆電。",
        "en": "After the tone, please say your name, your address and what you need, then "
        "hang up. A social worker will call you back as soon as possible.",
    },
    "repeat_hint": {
        "zh": "重听请按星号键。",
        "yue": "重聽請按星號鍵。",
        "en": "To hear this again, press star.",
    },
    "person_hint": {
        "zh": "找值班社工请按0。",
        "yue": "搵當值社工請按0。",
        "en": "To speak to the worker on duty, press 0.",
    },
    "elderly_greeting": {
        "zh": "您好，这里是{station}社工站，我们认得您的号码。",
        "yue": "你好，呢度係{station}社工站，我哋認得你嘅號碼。",
        "en": "Hello, this is the {station} social work station. We know your number.",
    },
    "thanks": {
        "zh": "谢谢，您的留言已收到。再见。",
        "yue": "多謝，你嘅留言已經收到。再見。",
        "en": "Thank you, we have your message. Goodbye.",
    },
}

# The elderly-friendly settings every station starts with (see ivr/menus/menu_settings.py).
SPEECH_RATE = "85%"
KEY_TIMEOUT = 10

# (option key, node id, need tag, priority)
NEEDS = [
    ("1", "vm_food", "food", "normal"),
    ("2", "vm_medicine", "medicine", "high"),
    ("3", "medical_notice", "medical", "high"),
    ("4", "vm_emotional", "emotional", "normal"),
    ("5", "vm_policy", "policy", "normal"),
]


def _prompts(name: str, languages: list[str], prefix: str | None = None) -> dict[str, str]:
    return {lang: (TEXT[prefix][lang] if prefix else "") + TEXT[name][lang] for lang in languages}


def _voicemail(languages: list[str], tags: list[str], priority: str) -> dict[str, Any]:
    return {
        "kind": "voicemail",
        "prompt": _prompts("record", languages),
        "max_length": 120,
        "tags": tags,
        "priority": priority,
        "thanks": _prompts("thanks", languages),
    }


def default_menu(languages: list[str]) -> dict[str, Any]:
    """The default menu, as a document, in the given languages (first is the default)."""
    languages = [lang for lang in languages if lang in TEXT["main"]] or ["zh"]
    nodes: dict[str, Any] = {}
    if len(languages) > 1:
        welcome = TEXT["welcome"][languages[0]]
        nodes["choose_language"] = {
            "kind": "language",
            "prompt": {
                lang: (welcome if i == 0 else "") + LANGUAGE_NAMES[lang].format(key=i + 1)
                for i, lang in enumerate(languages)
            },
            "choices": {str(i + 1): lang for i, lang in enumerate(languages)},
            "next": "main",
        }
    options: dict[str, Any] = {key: {"next": node, "need": need} for key, node, need, _ in NEEDS}
    options["0"] = "worker_hours"
    nodes["main"] = {
        "kind": "menu",
        "prompt": _prompts("main", languages, None if len(languages) > 1 else "welcome"),
        "options": options,
        "repeat": 2,
        "fallback": "vm_general",
        "invalid": _prompts("invalid", languages),
    }
    nodes["medical_notice"] = {
        "kind": "message",
        "prompt": _prompts("medical", languages),
        "next": "vm_medical",
    }
    for _key, node, need, priority in NEEDS:
        name = "vm_medical" if node == "medical_notice" else node
        nodes[name] = _voicemail(languages, [need], priority)
    nodes["worker_hours"] = {"kind": "hours", "open": "forward_worker", "closed": "closed_notice"}
    nodes["closed_notice"] = {
        "kind": "message",
        "prompt": _prompts("closed", languages),
        "next": "vm_general",
    }
    nodes["forward_worker"] = {
        "kind": "forward",
        "prompt": _prompts("forward", languages),
        "strategy": "sequential",
        "timeout": 20,
        "no_answer": "vm_general",
    }
    nodes["vm_general"] = _voicemail(languages, [], "normal")
    # The elderly path: the worker first in opening hours; the menu if nobody answers.
    nodes["elderly_hours"] = {"kind": "hours", "open": "elderly_worker", "closed": "main"}
    nodes["elderly_worker"] = {**nodes["forward_worker"], "no_answer": "main"}
    start = "choose_language" if len(languages) > 1 else "main"
    return {
        "start": start,
        "languages": languages,
        "settings": default_settings(languages),
        "nodes": nodes,
    }


def default_settings(languages: list[str]) -> dict[str, Any]:
    """The elderly-friendly settings, for a menu with the default's worker nodes."""
    return {
        "speech_rate": SPEECH_RATE,
        "key_timeout": KEY_TIMEOUT,
        "repeat_key": {"prompt": _prompts("repeat_hint", languages)},
        "person_key": {"next": "worker_hours", "prompt": _prompts("person_hint", languages)},
        "elderly": {"next": "elderly_hours", "prompt": _prompts("elderly_greeting", languages)},
    }


def default_menu_yaml(languages: list[str]) -> str:
    return dump_yaml(default_menu(languages))


UNASSIGNED_MENU = {
    "start": "sorry",
    "languages": ["zh", "en"],
    "nodes": {
        "sorry": {
            "kind": "message",
            "prompt": {
                "zh": "您好，您拨打的号码暂未开通社工站热线，我们仍会收听您的留言。",
                "en": "Hello. This number is not yet assigned to a station, "
                "but your message will still be heard.",
            },
            "next": "record",
        },
        "record": _voicemail(["zh", "en"], [], "normal"),
    },
}
