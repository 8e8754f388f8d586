"""Mask images with several objects (palette PNGs, colour-ID mattes) are read as one chosen object, or refused.

The palette files are written by Pillow, as DAVIS's annotations and many roto tools' ID mattes
are (PNG colour type 3, index 0 the background); the colour ones by OpenCV.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from retakes.engine.errors import InvalidArgument
from retakes.engine.media import KeyframeMask, load_masks, probe
from retakes.engine.timecode import FrameRange

W, H = 64, 48
#: DAVIS's palette (the PASCAL VOC one): index 1 is dark red, whose brightness (38) is under 128
DAVIS = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0, 0, 0, 128, 128, 0, 128]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("src")
    for i in range(4):
        cv2.imwrite(str(folder / f"{i:04d}.png"), np.full((H, W, 3), 40 * i, np.uint8))
    return probe(folder)


def objects():
    """Three objects as a label image: 1 a box on the left, 2 a box on the right, 3 a strip at the bottom."""
    labels = np.zeros((H, W), np.uint8)
    labels[5:20, 4:24] = 1
    labels[8:30, 36:60] = 2
    labels[38:44, 10:50] = 3
    return labels


def palette_png(path, labels, palette=DAVIS, **save):
    image = Image.fromarray(labels, "P")
    image.putpalette(palette + [0] * (768 - len(palette)))
    image.save(path, **save)
    assert Image.open(path).mode == "P"  # really an indexed PNG
    return path


def load(path, source, pick=""):
    masks = load_masks(path, source, FrameRange(0, 4), pick=pick)
    return masks.image if isinstance(masks, KeyframeMask) else masks


@pytest.mark.parametrize("save", [{}, {"optimize": True}, {"bits": 2}])
def test_a_palette_mask_with_several_objects_is_refused_listing_them(source, tmp_path, save):
    path = palette_png(tmp_path / "ids.png", objects(), **save)
    with pytest.raises(InvalidArgument) as err:
        load(path, source)
    assert err.value.field == "mask"
    message = str(err.value)
    for listed in ("index 1 (#800000, 300 px)", "index 2 (#008000, 528 px)", "index 3 (#808000, 240 px)"):
        assert listed in message, message
    assert "--mask-index" in message


@pytest.mark.parametrize("index", [1, 2, 3])
def test_mask_index_picks_one_object_of_a_palette_mask(source, tmp_path, index):
    labels = objects()
    mask = load(palette_png(tmp_path / "ids.png", labels), source, pick=str(index))
    np.testing.assert_array_equal(mask, np.where(labels == index, 255, 0))


def test_a_davis_style_single_object_mask_is_its_object_not_its_brightness(source, tmp_path):
    """DAVIS 2017 annotations: index 1 in dark red. Read by brightness it was an empty mask."""
    labels = (objects() == 2).astype(np.uint8)
    mask = load(palette_png(tmp_path / "00000.png", labels), source)
    np.testing.assert_array_equal(mask, labels * 255)


def test_a_grey_palette_png_is_read_by_brightness_as_before(source, tmp_path):
    soft = np.zeros((H, W), np.uint8)
    soft[10:30, 10:40] = 255
    soft[10:30, 40:44] = 100  # a soft edge
    path = tmp_path / "grey.png"
    Image.fromarray(soft, "L").convert("P").save(path)
    assert Image.open(path).mode == "P"
    mask = load(path, source)
    np.testing.assert_array_equal(mask, np.where(soft >= 128, 255, 0))


def test_a_colour_mask_with_several_colours_is_refused_and_picked_from(source, tmp_path):
    labels = objects()
    bgr = np.zeros((H, W, 3), np.uint8)
    bgr[labels == 1] = (0, 0, 255)  # red
    bgr[labels == 2] = (0, 255, 0)  # green
    path = tmp_path / "ids.png"
    cv2.imwrite(str(path), bgr)
    with pytest.raises(InvalidArgument) as err:
        load(path, source)
    assert "1 = #00FF00 (528 px); 2 = #FF0000 (300 px)" in str(err.value), str(err.value)
    np.testing.assert_array_equal(load(path, source, pick="#FF0000"), np.where(labels == 1, 255, 0))
    np.testing.assert_array_equal(load(path, source, pick="1"), np.where(labels == 2, 255, 0))
    with pytest.raises(InvalidArgument) as err:
        load(path, source, pick="3")
    assert err.value.field == "mask_index" and "#00FF00" in str(err.value)


def test_a_single_colour_mask_is_its_colour_even_when_dark(source, tmp_path):
    labels = objects()
    bgr = np.zeros((H, W, 3), np.uint8)
    bgr[labels == 3] = (0, 0, 200)  # a red whose brightness is 60: read by brightness it was empty
    cv2.imwrite(str(tmp_path / "red.png"), bgr)
    np.testing.assert_array_equal(load(tmp_path / "red.png", source), np.where(labels == 3, 255, 0))


def test_a_white_mask_saved_as_jpeg_is_read_as_before(source, tmp_path):
    white = np.zeros((H, W), np.uint8)
    white[10:30, 10:40] = 255
    cv2.imwrite(str(tmp_path / "m.jpg"), cv2.cvtColor(white, cv2.COLOR_GRAY2BGR), [cv2.IMWRITE_JPEG_QUALITY, 70])
    decoded = cv2.cvtColor(cv2.imread(str(tmp_path / "m.jpg")), cv2.COLOR_BGR2GRAY)
    np.testing.assert_array_equal(load(tmp_path / "m.jpg", source), np.where(decoded >= 128, 255, 0))


def test_a_picture_is_not_a_mask(source, tmp_path):
    rng = np.random.default_rng(0)
    noisy = cv2.resize(rng.integers(40, 256, (6, 8, 3), dtype=np.uint8), (W, H), interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(tmp_path / "blocks.png"), noisy)  # 48 flat colours: too many to be objects
    with pytest.raises(InvalidArgument) as err:
        load(tmp_path / "blocks.png", source)
    assert "colours: a mask is white on black" in str(err.value)


def test_a_folder_of_colour_masks_picks_the_same_object_on_every_frame(source, tmp_path):
    """`--mask-index 2` names the second colour of the first image; a frame where the first
    colour is absent must not shift it onto another object."""
    labels = objects()
    folder = tmp_path / "masks"
    folder.mkdir()
    for i in range(4):
        bgr = np.zeros((H, W, 3), np.uint8)
        if i != 2:
            bgr[labels == 2] = (0, 255, 0)  # #00FF00, listed first
        bgr[labels == 1] = (0, 0, 255)  # #FF0000, listed second
        cv2.imwrite(str(folder / f"{i:04d}.png"), bgr)
    masks = load(folder, source, pick="2")
    for i in range(4):
        np.testing.assert_array_equal(masks.mask(i), np.where(labels == 1, 255, 0))
    with pytest.raises(InvalidArgument) as err:
        load(folder, source)  # without a pick: refused before the job, from the first image
    assert "2 objects" in str(err.value)
