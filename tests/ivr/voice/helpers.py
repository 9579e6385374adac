"""Reading TwiML the way a test wants to: what is said, and where Twilio goes next."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit


@dataclass
class Twiml:
    root: ET.Element

    @classmethod
    def of(cls, response) -> Twiml:  # type: ignore[no-untyped-def]
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        return cls(ET.fromstring(response.get_data(as_text=True)))

    def says(self) -> list[str]:
        return ["".join(e.itertext()) for e in self.root.iter("Say")]

    def say_languages(self) -> list[str]:
        return [e.get("language", "") for e in self.root.iter("Say")]

    def text(self) -> str:
        return " ".join(self.says())

    def verb(self, name: str) -> ET.Element | None:
        return next(self.root.iter(name), None)

    @property
    def verbs(self) -> list[str]:
        return [e.tag for e in self.root]

    def action(self, verb: str) -> str:
        element = self.verb(verb)
        assert element is not None, f"no <{verb}> in {self.verbs}"
        return element.get("action", "")

    def query(self, verb: str) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.action(verb)).query).items()}
