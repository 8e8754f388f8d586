"""Tiny models built in code with the real classes, saved as a user's folder would be.

The configurations follow diffusers' and transformers' own tests (a UNet of two blocks, a
two-block VAE, a two-layer CLIP text encoder; a Hiera backbone of one block per stage): real
architectures, random weights, small enough for a CPU step in milliseconds. The tokenizer is built
in code too (a byte-level vocabulary without merges), so nothing comes from a hub. They can hold
shapes, dtypes, determinism and geometry; they cannot judge quality, and no test pretends they do.
"""

from __future__ import annotations

import json
from pathlib import Path

#: the model card front matter a hub folder carries; `models add` reads its licence
CARD = "---\nlicense: apache-2.0\n---\nA tiny model built by the retakes test suite.\n"


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (what CLIP's BPE vocabularies are over)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs), strict=True))


def clip_tokenizer(max_length: int = 77):
    from transformers import CLIPTokenizer

    chars = list(_bytes_to_unicode().values())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=max_length)


def _sd_parts(in_channels: int, seed: int):
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = clip_tokenizer()
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=16, in_channels=in_channels, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, attention_head_dim=8)
    vae = AutoencoderKL(block_out_channels=[32, 64], in_channels=3, out_channels=3, latent_channels=4,
                        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
                        layers_per_block=1)
    size = len(tokenizer)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=size - 2, eos_token_id=size - 1, pad_token_id=size - 1, hidden_size=32, intermediate_size=37,
        num_attention_heads=4, num_hidden_layers=2, vocab_size=size, max_position_embeddings=77, projection_dim=32))
    return unet, vae, text_encoder, tokenizer


def build_inpaint(folder: Path, seed: int = 0) -> Path:
    """A StableDiffusionInpaintPipeline (9-channel UNet) at a 32 px working size (sample_size 16 x VAE 2)."""
    from diffusers import PNDMScheduler, StableDiffusionInpaintPipeline

    unet, vae, text_encoder, tokenizer = _sd_parts(9, seed)
    scheduler = PNDMScheduler(skip_prk_steps=True, steps_offset=1)
    pipe = StableDiffusionInpaintPipeline(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                                          scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                          requires_safety_checker=False)
    pipe.save_pretrained(folder)
    (Path(folder) / "README.md").write_text(CARD)
    return Path(folder)


def build_instruct(folder: Path, seed: int = 1) -> Path:
    """A StableDiffusionInstructPix2PixPipeline (8-channel UNet)."""
    from diffusers import EulerAncestralDiscreteScheduler, StableDiffusionInstructPix2PixPipeline

    unet, vae, text_encoder, tokenizer = _sd_parts(8, seed)
    pipe = StableDiffusionInstructPix2PixPipeline(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
        scheduler=EulerAncestralDiscreteScheduler(), safety_checker=None, feature_extractor=None,
        requires_safety_checker=False)
    pipe.save_pretrained(folder)
    (Path(folder) / "README.md").write_text(CARD)
    return Path(folder)


def sam2_config(image_size: int = 64):
    """A SAM 2 video configuration of one Hiera block per stage at `image_size` px.

    The object-pointer width (the FPN's, 128) must exceed the memory width (64, which the memory
    attention's cross-attention takes as fixed): the real checkpoints have 256 and 64.
    """
    from transformers import (
        Sam2HieraDetConfig,
        Sam2MaskDecoderConfig,
        Sam2PromptEncoderConfig,
        Sam2VideoConfig,
        Sam2VisionConfig,
    )

    s = image_size
    feats = [[s // 4, s // 4], [s // 8, s // 8], [s // 16, s // 16]]
    backbone = Sam2HieraDetConfig(hidden_size=12, image_size=s, patch_stride=4, patch_kernel_size=7, patch_padding=3,
                                  blocks_per_stage=[1, 1, 1, 1], embed_dim_per_stage=[12, 24, 48, 96],
                                  num_attention_heads_per_stage=[1, 1, 1, 1])
    vision = Sam2VisionConfig(backbone_config=backbone, backbone_channel_list=[96, 48, 24, 12],
                              backbone_feature_sizes=feats, fpn_hidden_size=128)
    return Sam2VideoConfig(
        vision_config=vision,
        prompt_encoder_config=Sam2PromptEncoderConfig(image_size=s, patch_size=16, mask_input_channels=8,
                                                      hidden_size=128),
        mask_decoder_config=Sam2MaskDecoderConfig(hidden_size=128, mlp_dim=64, num_hidden_layers=2,
                                                  num_attention_heads=4, iou_head_hidden_dim=32),
        image_size=s, memory_attention_hidden_size=128, memory_encoder_hidden_size=128,
        mask_downsampler_embed_dim=128, memory_fuser_embed_dim=128, memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=32, memory_attention_rope_feat_sizes=[s // 16, s // 16],
        max_object_pointers_in_encoder=4)


def build_sam2(folder: Path, seed: int = 2, image_size: int = 64) -> Path:
    import torch
    from transformers import Sam2VideoModel

    torch.manual_seed(seed)
    Sam2VideoModel(sam2_config(image_size)).save_pretrained(folder)
    # What the hub's SAM 2 folders carry beside the weights: the image normalisation.
    (Path(folder) / "preprocessor_config.json").write_text(json.dumps(
        {"image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
         "size": {"height": image_size, "width": image_size}}))
    (Path(folder) / "README.md").write_text(CARD)
    return Path(folder)


def t5_tokenizer(max_length: int = 64):
    """A T5-style fast tokenizer built in code: one token per character (a word-level vocabulary over
    single characters), with T5's pad/eos/unk tokens. Enough for a prompt to become ids."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = [chr(c) for c in range(32, 127)]
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, **{c: i + 3 for i, c in enumerate(chars)}}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=max_length)


def build_vace(folder: Path, seed: int = 3) -> Path:
    """A WanVACEPipeline at diffusers' test sizes (tests/pipelines/wan/test_wan_vace.py): a Wan VAE of base
    width 3 (8x spatial, 4x temporal compression), a 3-layer VACE transformer with control layers 0 and 2,
    a 2-layer UMT5 encoder. Frames come in 4k+1 and sides in multiples of 16."""
    import torch
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanVACEPipeline, WanVACETransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    tokenizer = t5_tokenizer()
    torch.manual_seed(seed)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    torch.manual_seed(seed)
    text_encoder = UMT5EncoderModel(UMT5Config(vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=37, num_layers=2,
                                               num_heads=4, relative_attention_num_buckets=8, pad_token_id=0,
                                               eos_token_id=1, decoder_start_token_id=0))
    torch.manual_seed(seed)
    transformer = WanVACETransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
        text_dim=32, freq_dim=256, ffn_dim=32, num_layers=3, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32, vace_layers=[0, 2], vace_in_channels=96)
    pipe = WanVACEPipeline(tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer,
                           scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0))
    pipe.save_pretrained(folder)
    (Path(folder) / "README.md").write_text(CARD)
    return Path(folder)
