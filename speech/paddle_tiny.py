"""Tiny PaddleSpeech models with random weights, in the layout of the released archives.

No package ships PaddleSpeech's weights (../shared/SPEECH.md), so the tests exercise its
real loading and inference code on models made here: a Conformer (U2) recogniser laid out
like ``asr1_conformer_wenetspeech_ckpt`` and a FastSpeech2 + HiFiGAN pair laid out like
``fastspeech2_nosil_baker_ckpt`` / ``hifigan_csmsc_ckpt``, each a few hundred kilobytes.
They say nothing sensible; they only have the shapes, files and formats of the real ones.

Run by the PaddleSpeech environment: ``.venv/paddle/bin/python -m speech.paddle_tiny DIR``
makes ``DIR/asr`` and ``DIR/tts``. Deterministic (fixed seed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from speech.paddle_worker import inside

# Characters of the recogniser's vocabulary: enough to write hotline questions.
CHARS = ("社保卡养老金失业医疗工伤生育公积金怎么办理查询补办缴费个人账户"
         "退休年龄认证转移接续领取条件待遇人力资源和障局电话号码")
MELS = 80
ASR_RATE = 16000
TTS_RATE = 24000
HOP = 300  # 24 kHz / 80 frames a second, the csmsc models' hop


def _yaml(path: Path, data: dict[str, Any]) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def make_asr(root: Path) -> Path:
    """``model.yaml``, ``data/…`` (vocabulary, CMVN statistics) and a ``.pdparams`` checkpoint."""
    import paddle
    from paddlespeech.s2t.models.u2 import U2Model
    from yacs.config import CfgNode

    vocab = ["<blank>", "<unk>", *dict.fromkeys(CHARS), "<eos>"]
    (root / "data" / "lang_char").mkdir(parents=True, exist_ok=True)
    (root / "data" / "lang_char" / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    frames = 1000
    (root / "data" / "mean_std.json").write_text(json.dumps(
        {"mean_stat": [10.0 * frames] * MELS, "var_stat": [101.0 * frames] * MELS, "frame_num": frames}))
    config: dict[str, Any] = {
        "cmvn_file": "data/mean_std.json", "cmvn_file_type": "json",
        "encoder": "conformer",
        "encoder_conf": {"output_size": 16, "attention_heads": 2, "linear_units": 32, "num_blocks": 1,
                         "dropout_rate": 0.0, "positional_dropout_rate": 0.0, "attention_dropout_rate": 0.0,
                         "input_layer": "conv2d", "normalize_before": True, "use_cnn_module": True,
                         "cnn_module_kernel": 3, "activation_type": "swish", "pos_enc_layer_type": "rel_pos",
                         "selfattention_layer_type": "rel_selfattn"},
        "decoder": "transformer",
        "decoder_conf": {"attention_heads": 2, "linear_units": 32, "num_blocks": 1, "dropout_rate": 0.0,
                         "positional_dropout_rate": 0.0, "self_attention_dropout_rate": 0.0,
                         "src_attention_dropout_rate": 0.0},
        "model_conf": {"ctc_weight": 0.3, "lsm_weight": 0.1, "length_normalized_loss": False},
        "vocab_filepath": "data/lang_char/vocab.txt", "unit_type": "char", "spm_model_prefix": "",
        # inline, as in the released model.yaml (the executor reads process[0] for frame sizes)
        "preprocess_config": {"process": [{"type": "fbank_kaldi", "fs": ASR_RATE, "n_mels": MELS,
                                           "n_shift": 160, "win_length": 400, "dither": 0.0}]},
        "feat_dim": MELS,
        "input_dim": MELS, "output_dim": len(vocab),
        "decode": {"decoding_method": "attention_rescoring", "beam_size": 2, "ctc_weight": 0.5,
                   "decoding_chunk_size": -1, "num_decoding_left_chunks": -1, "simulate_streaming": False},
    }
    _yaml(root / "model.yaml", config)
    with inside(root):  # the released model.yaml names its files relative to the model's folder
        model = U2Model.from_config(CfgNode(config))
    checkpoint = root / "exp" / "conformer" / "checkpoints" / "wenetspeech.pdparams"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    paddle.save(model.state_dict(), str(checkpoint))
    return root


def _phones() -> list[str]:
    """The csmsc phone set: initials, finals with tones 1–5, and the special symbols."""
    initials = "b p m f d t n l g k h j q x zh ch sh r z c s y w".split()
    finals = ("a o e i u v ai ei ao ou an en ang eng ong er ia ie iao iu ian in iang ing iong ua uo uai ui "
              "uan un uang ueng ve van vn ii iii io iou uei uen uen").split()
    toned = [f"{f}{t}" for f in dict.fromkeys(finals) for t in range(1, 6)]
    return ["<pad>", "<unk>", *initials, *toned, "sp", "sil", "，", "。", "？", "！", "<eos>"]


def make_tts(root: Path) -> Path:
    """``am/`` (FastSpeech2: default.yaml, snapshot .pdz, speech_stats.npy, phone_id_map.txt)
    and ``voc/`` (HiFiGAN: default.yaml, snapshot .pdz, feats_stats.npy)."""
    import numpy as np
    import paddle
    from paddlespeech.t2s.models.fastspeech2 import FastSpeech2
    from paddlespeech.t2s.models.hifigan import HiFiGANGenerator

    am, voc = root / "am", root / "voc"
    am.mkdir(parents=True, exist_ok=True)
    voc.mkdir(parents=True, exist_ok=True)
    phones = _phones()
    lines = "".join(f"{p} {i}\n" for i, p in enumerate(phones))
    (am / "phone_id_map.txt").write_text(lines, encoding="utf-8")
    am_model = {"adim": 16, "aheads": 2, "elayers": 1, "eunits": 32, "dlayers": 1, "dunits": 32,
                "positionwise_layer_type": "conv1d", "positionwise_conv_kernel_size": 3,
                "duration_predictor_layers": 1, "duration_predictor_chans": 16,
                "duration_predictor_kernel_size": 3, "pitch_predictor_layers": 1,
                "pitch_predictor_chans": 16, "pitch_predictor_kernel_size": 3,
                "pitch_predictor_dropout": 0.0, "pitch_embed_kernel_size": 1,
                "pitch_embed_dropout": 0.0, "stop_gradient_from_pitch_predictor": True,
                "energy_predictor_layers": 1, "energy_predictor_chans": 16, "energy_predictor_kernel_size": 3,
                "energy_predictor_dropout": 0.0, "energy_embed_kernel_size": 1, "energy_embed_dropout": 0.0,
                "stop_gradient_from_energy_predictor": False, "postnet_layers": 1, "postnet_chans": 16,
                "postnet_filts": 3, "use_scaled_pos_enc": True, "encoder_normalize_before": True,
                "decoder_normalize_before": True, "reduction_factor": 1, "init_type": "xavier_uniform",
                "transformer_enc_dropout_rate": 0.0, "transformer_enc_positional_dropout_rate": 0.0,
                "transformer_enc_attn_dropout_rate": 0.0, "transformer_dec_dropout_rate": 0.0,
                "transformer_dec_positional_dropout_rate": 0.0, "transformer_dec_attn_dropout_rate": 0.0}
    _yaml(am / "default.yaml", {"fs": TTS_RATE, "n_fft": 2048, "n_shift": HOP, "win_length": 1200,
                                "window": "hann", "n_mels": MELS, "fmin": 80, "fmax": 7600,
                                "model": am_model})
    fastspeech2 = FastSpeech2(idim=len(phones), odim=MELS, **am_model)
    state = fastspeech2.state_dict()
    # Random weights would predict a duration of zero for every phone (exp(0) - 1) and an
    # empty spectrogram; a bias of log(1 + 4) gives each phone about four frames.
    for name, value in state.items():
        if name.startswith("duration_predictor.linear.bias"):
            value.set_value(paddle.full(value.shape, float(np.log(5.0)), dtype=value.dtype))
    paddle.save({"main_params": state}, str(am / "snapshot_iter_1.pdz"))
    np.save(am / "speech_stats.npy", np.stack([np.full(MELS, -4.0), np.full(MELS, 2.0)]).astype("float32"))

    generator = {"in_channels": MELS, "out_channels": 1, "channels": 16, "kernel_size": 7,
                 "upsample_scales": [5, 5, 4, 3], "upsample_kernel_sizes": [10, 10, 8, 6],
                 "resblock_kernel_sizes": [3], "resblock_dilations": [[1, 3]],
                 "use_additional_convs": True, "bias": True, "nonlinear_activation": "leakyrelu",
                 "nonlinear_activation_params": {"negative_slope": 0.1}, "use_weight_norm": True}
    _yaml(voc / "default.yaml", {"fs": TTS_RATE, "n_fft": 2048, "n_shift": HOP, "win_length": 1200,
                                 "n_mels": MELS, "generator_params": generator})
    hifigan = HiFiGANGenerator(**generator)
    paddle.save({"generator_params": hifigan.state_dict()}, str(voc / "snapshot_iter_1.pdz"))
    np.save(voc / "feats_stats.npy", np.stack([np.full(MELS, -4.0), np.full(MELS, 2.0)]).astype("float32"))
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    import paddle

    paddle.seed(12333)
    make_asr(args.directory / "asr")
    make_tts(args.directory / "tts")
    print(json.dumps({"asr": str(args.directory / "asr"), "tts": str(args.directory / "tts")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
