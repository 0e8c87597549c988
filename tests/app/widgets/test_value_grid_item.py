"""ValueGridItem: one item writes every value of the grid, dark on bright cells, light on dark ones."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene

from app.widgets.value_grid_item import ValueGridItem


def rendered(item: ValueGridItem, background: str) -> QImage:
    scene = QGraphicsScene()
    scene.addItem(item)
    image = QImage(160, 80, QImage.Format.Format_ARGB32)
    image.fill(QColor(background))
    painter = QPainter(image)
    scene.render(painter, QRectF(0, 0, 160, 80), QRectF(0, 0, 2, 1))  # 80 px per grid unit
    painter.end()
    scene.removeItem(item)
    return image


def inked(image: QImage, background: str) -> int:
    bg = QColor(background).rgb()
    return sum(image.pixel(x, y) != bg for x in range(image.width()) for y in range(image.height()))


def test_values_are_written_in_the_colour_that_reads_on_their_cell(qapp):
    item = ValueGridItem(1, 2, QFont())
    assert inked(rendered(item, "#808080"), "#808080") == 0  # nothing to show
    item.set_values(np.array([[0.9, 0.1]]))
    assert (item.text(0, 0), item.text(0, 1)) == ("0.90", "0.10")
    image = rendered(item, "#808080")
    left = [QColor(image.pixel(x, y)).lightness() for x in range(80) for y in range(80)]
    right = [QColor(image.pixel(x, y)).lightness() for x in range(80, 160) for y in range(80)]
    assert min(left) < 100 and max(left) <= 128  # dark text on the bright cell, no light text
    assert max(right) > 160 and min(right) >= 128  # light text on the dark cell
    item.set_values(None)
    assert item.text(0, 0) == ""


def test_a_squeezed_grid_shows_its_colours_without_overlapping_numbers(qapp):
    item = ValueGridItem(1, 2, QFont())
    item.set_values(np.array([[0.9, 0.1]]))
    assert item.fits(80, 80) and not item.fits(80, 4) and not item.fits(6, 80)
    scene = QGraphicsScene()
    scene.addItem(item)
    image = QImage(160, 4, QImage.Format.Format_ARGB32)  # 4 px per row: no text fits
    image.fill(QColor("#808080"))
    painter = QPainter(image)
    scene.render(painter, QRectF(0, 0, 160, 4), QRectF(0, 0, 2, 1))
    painter.end()
    scene.removeItem(item)
    assert inked(image, "#808080") == 0
