"""The doctor's audio check: can the kiosk speak? (espeak-ng installed, a sound card, the last utterance.)

Spoken guidance is an aid, not the ticket path: every problem here is a WARN, never a FAIL.
"""

from __future__ import annotations

import time

from ..speech import read_status, status_path
from .result import Result, ok, warn

NAME = "audio"
FIX_SOUND_CARD = ("connect speakers (USB, the 3.5 mm jack, or an HDMI screen with speakers); on a Raspberry Pi set "
                  "dtparam=audio=on in /boot/firmware/config.txt and reboot; test with: espeak-ng -v id 'tes'")


def sound_cards(text: str) -> list[str]:
    """Card names from /proc/asound/cards (' 0 [vc4hdmi0      ]: vc4-hdmi - vc4-hdmi-0' -> 'vc4-hdmi-0')."""
    names = []
    for line in text.splitlines():
        head, sep, tail = line.partition("]:")
        if sep and head.strip()[:1].isdigit():
            names.append(tail.split(" - ", 1)[-1].strip())
    return names


def audio(scene) -> Result:
    cfg = scene.config
    if not cfg.speech.enabled:
        return ok(NAME, "spoken guidance is off ([speech] enabled = false)")
    version = scene.host.run(["espeak-ng", "--version"], timeout=min(scene.timeout, 5.0))
    if version.code != 0:
        return warn(NAME, f"espeak-ng does not run ({(version.err or version.out).strip()[:120]}): voice mode is silent",
                    "sudo apt-get install --no-install-recommends espeak-ng")
    cards_file = scene.host.path("/proc/asound/cards")
    try:
        cards = sound_cards(cards_file.read_text())
    except OSError:
        cards = []
    if not cards:
        return warn(NAME, "no sound card (/proc/asound/cards lists none): voice mode is silent", FIX_SOUND_CARD)
    last = read_status(status_path(cfg.data_dir))
    if last is not None and not last.ok:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(last.at))
        return warn(NAME, f"the last utterance ({when}) was not heard: {last.detail}",
                    "check the speakers and that no other program holds the sound card (fuser -v /dev/snd/*); "
                    + FIX_SOUND_CARD.split("; ", 1)[1])
    engine = version.out.split("  ")[0].strip() or "espeak-ng"
    heard = "; last utterance played" if last is not None else ""
    return ok(NAME, f"{engine}; sound card: {', '.join(cards)}{heard}")
