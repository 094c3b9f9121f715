//! PNG charts at twice their logical size, with text placed at subpixel positions.
//!
//! Plotters has no device-pixel ratio, so [`HiDpi`] wraps a bitmap backend of
//! `SCALE * W` by `SCALE * H` pixels and reports `W` by `H` to plotters: every chart is
//! laid out exactly as its SVG (same coordinates, same text size estimates) and each
//! drawing call is scaled on the way down (coordinates, line widths, circle radii, font
//! sizes). The PNG is sharp on high-DPI screens and in print.
//!
//! Text is drawn here rather than by plotters. Plotters' `ab_glyph` text code places each
//! glyph's inked box (not its origin) at the pen position truncated to a whole pixel:
//! the left side bearing is dropped and the rounding error varies from letter to letter,
//! so letters look unevenly spaced (`phas es`, `( G`). It also draws the regular face for
//! a bold style, and sizes text about 6% larger than the SVG does. [`draw_text`] lays
//! the text out with the font's advances and kerning in floating point, rasterizes each
//! glyph at its exact subpixel position, sums the coverage of the whole string before
//! blending it once, uses the bold face for bold text, and follows the SVG's metrics (an
//! em of `size / 1.24`, the baseline 0.76 em below a top anchor, 0.5 ex below a centre
//! anchor, 0.5 ex above a bottom one), so PNG and SVG text match.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle};
use plotters_backend::{DrawingBackend, DrawingErrorKind, FontStyle};

/// Device pixels per logical pixel of a PNG chart.
pub const SCALE: u32 = 2;

/// A backend drawing on `inner` (of `SCALE` times the logical size) with logical
/// coordinates.
pub struct HiDpi<B> {
    inner: B,
}

impl<B: DrawingBackend> HiDpi<B> {
    /// Wraps `inner`, whose size must be `SCALE` times the logical size.
    pub fn new(inner: B) -> Self {
        Self { inner }
    }
}

/// A logical pixel's centre in device pixels.
fn at(p: BackendCoord) -> BackendCoord {
    let s = SCALE as i32;
    (p.0 * s + s / 2, p.1 * s + s / 2)
}

/// A style with its stroke width scaled to device pixels.
struct Scaled<'a, S>(&'a S);

impl<S: BackendStyle> BackendStyle for Scaled<'_, S> {
    fn color(&self) -> BackendColor {
        self.0.color()
    }
    fn stroke_width(&self) -> u32 {
        self.0.stroke_width() * SCALE
    }
}

type Res<E> = Result<(), DrawingErrorKind<E>>;

impl<B: DrawingBackend> HiDpi<B> {
    /// Fills the device pixels covering logical pixels `a..=b` (inclusive, either order).
    fn fill_block(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        c: BackendColor,
    ) -> Res<B::ErrorType> {
        let s = SCALE as i32;
        let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
        let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
        // A bitmap's filled rectangle is half-open: it ends before its second corner.
        self.inner
            .draw_rect((x0 * s, y0 * s), ((x1 + 1) * s, (y1 + 1) * s), &c, true)
    }
}

impl<B: DrawingBackend> DrawingBackend for HiDpi<B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        let (w, h) = self.inner.get_size();
        (w / SCALE, h / SCALE)
    }

    fn ensure_prepared(&mut self) -> Res<B::ErrorType> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Res<B::ErrorType> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> Res<B::ErrorType> {
        self.fill_block(p, p, c)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Res<B::ErrorType> {
        let w = style.stroke_width() as i32;
        if style.color().alpha == 0.0 || w == 0 {
            return Ok(());
        }
        // Axis-aligned lines (axes, ticks, grid, outlines) cover whole logical pixels,
        // as plotters draws them at 1x: `w` pixels centred on the line.
        if from.0 == to.0 || from.1 == to.1 {
            let (lo, hi) = ((w - 1) / 2, w / 2);
            let (a, b) = if from.0 == to.0 {
                ((from.0 - lo, from.1), (to.0 + hi, to.1))
            } else {
                ((from.0, from.1 - lo), (to.0, to.1 + hi))
            };
            return self.fill_block(a, b, style.color());
        }
        self.inner.draw_line(at(from), at(to), &Scaled(style))
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        ul: BackendCoord,
        br: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Res<B::ErrorType> {
        if fill {
            // Half-open, as the bitmap backend fills at 1x.
            let s = SCALE as i32;
            return self.inner.draw_rect(
                (ul.0 * s, ul.1 * s),
                (br.0 * s, br.1 * s),
                &style.color(),
                true,
            );
        }
        for (a, b) in [
            (ul, (ul.0, br.1)),
            (ul, (br.0, ul.1)),
            (br, (ul.0, br.1)),
            (br, (br.0, ul.1)),
        ] {
            self.draw_line(a, b, style)?;
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Res<B::ErrorType> {
        if style.stroke_width() == 1 {
            let points: Vec<BackendCoord> = path.into_iter().collect();
            for pair in points.windows(2) {
                self.draw_line(pair[0], pair[1], style)?;
            }
            return Ok(());
        }
        self.inner
            .draw_path(path.into_iter().map(at), &Scaled(style))
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Res<B::ErrorType> {
        self.inner
            .draw_circle(at(center), radius * SCALE, &Scaled(style), fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Res<B::ErrorType> {
        self.inner.fill_polygon(vert.into_iter().map(at), style)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Res<B::ErrorType> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let bold = matches!(style.style(), FontStyle::Bold);
        let ink = rasterize(
            text,
            bold,
            style.size() * f64::from(SCALE),
            style.anchor().h_pos,
            style.anchor().v_pos,
        );
        let origin = at(pos);
        let trans = style.transform();
        let (w, h) = self.inner.get_size();
        for (x, y, coverage) in ink.pixels() {
            let (x, y) = trans.transform(x, y);
            let (x, y) = (origin.0 + x, origin.1 + y);
            if x < 0 || y < 0 || x >= w as i32 || y >= h as i32 {
                continue;
            }
            let alpha = color.alpha * f64::from(coverage.min(1.0));
            self.inner.draw_pixel(
                (x, y),
                BackendColor {
                    alpha,
                    rgb: color.rgb,
                },
            )?;
        }
        Ok(())
    }
}

/// The embedded DejaVu Sans, regular or bold (the faces `style::register` gives
/// plotters).
fn face(bold: bool) -> &'static FontRef<'static> {
    static REGULAR: OnceLock<FontRef<'static>> = OnceLock::new();
    static BOLD: OnceLock<FontRef<'static>> = OnceLock::new();
    let (cell, bytes) = if bold {
        (&BOLD, dejavu::sans::bold())
    } else {
        (&REGULAR, dejavu::sans::regular())
    };
    cell.get_or_init(|| FontRef::try_from_slice(bytes).expect("the embedded DejaVu Sans parses"))
}

/// The coverage of a rasterized string: `width` by `height` values from `(left, top)`
/// relative to its anchor, in device pixels.
pub struct Ink {
    left: i32,
    top: i32,
    width: usize,
    coverage: Vec<f32>,
}

impl Ink {
    /// The inked pixels: (x, y, coverage) relative to the anchor.
    pub fn pixels(&self) -> impl Iterator<Item = (i32, i32, f32)> + '_ {
        self.coverage
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0.0)
            .map(|(i, &c)| {
                let (x, y) = (i % self.width, i / self.width);
                (self.left + x as i32, self.top + y as i32, c)
            })
    }
}

/// Rasterizes `text` at plotters font size `size` (device pixels; the em is
/// `size / 1.24`, as in the SVG), anchored as `h` and `v` say, each glyph at its exact
/// subpixel position.
pub fn rasterize(text: &str, bold: bool, size: f64, h: HPos, v: VPos) -> Ink {
    let font = face(bold);
    let units = font.units_per_em().unwrap_or(2048.0);
    let em = (size / 1.24) as f32;
    // ab_glyph's scale is the font's height (ascent - descent), not its em.
    let scale = PxScale::from(em * font.height_unscaled() / units);
    let scaled = font.as_scaled(scale);
    let ex = font
        .outline(font.glyph_id('x'))
        .map_or(0.5, |o| (o.bounds.max.y - o.bounds.min.y).abs() / units)
        * em;
    let mut pen = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    let mut placed = Vec::new();
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        placed.push((id, pen));
        pen += scaled.h_advance(id);
        prev = Some(id);
    }
    let dx = match h {
        HPos::Left => 0.0,
        HPos::Center => -pen / 2.0,
        HPos::Right => -pen,
    };
    let baseline = match v {
        VPos::Top => 0.76 * em,
        VPos::Center => 0.5 * ex,
        VPos::Bottom => -0.5 * ex,
    };
    let outlines: Vec<_> = placed
        .iter()
        .filter_map(|&(id, x)| {
            font.outline_glyph(id.with_scale_and_position(scale, point(dx + x, baseline)))
        })
        .collect();
    let bounds = outlines
        .iter()
        .map(|g| g.px_bounds())
        .reduce(|a, b| ab_glyph::Rect {
            min: point(a.min.x.min(b.min.x), a.min.y.min(b.min.y)),
            max: point(a.max.x.max(b.max.x), a.max.y.max(b.max.y)),
        });
    let Some(b) = bounds else {
        return Ink {
            left: 0,
            top: 0,
            width: 0,
            coverage: Vec::new(),
        };
    };
    let (left, top) = (b.min.x as i32, b.min.y as i32);
    let (width, height) = (
        (b.max.x as i32 - left).max(0) as usize,
        (b.max.y as i32 - top).max(0) as usize,
    );
    let mut coverage = vec![0.0f32; width * height];
    for g in &outlines {
        let r = g.px_bounds();
        let (ox, oy) = (r.min.x as i32 - left, r.min.y as i32 - top);
        g.draw(|x, y, c| {
            let (x, y) = (ox + x as i32, oy + y as i32);
            if x >= 0 && y >= 0 && (x as usize) < width && (y as usize) < height {
                coverage[y as usize * width + x as usize] += c;
            }
        });
    }
    Ink {
        left,
        top,
        width,
        coverage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::*;

    /// Coverage-weighted centre (device x, pixel centres at +0.5) of each run of inked
    /// columns of a black-on-white RGB buffer `w` pixels wide.
    fn centres(buf: &[u8], w: usize) -> Vec<f64> {
        let mut cols = vec![0.0f64; w];
        for (i, px) in buf.chunks(3).enumerate() {
            cols[i % w] += f64::from(255 - px[0]) / 255.0;
        }
        let mut out = Vec::new();
        let (mut mass, mut moment) = (0.0, 0.0);
        for (x, &c) in cols.iter().enumerate() {
            if c > 0.02 {
                mass += c;
                moment += c * (x as f64 + 0.5);
            } else if mass > 0.0 {
                out.push(moment / mass);
                (mass, moment) = (0.0, 0.0);
            }
        }
        out
    }

    /// Each glyph's ink lies where the font puts it: at its origin (advances and
    /// kerning summed exactly) plus the glyph's own centre, within a fifth of a device
    /// pixel. Plotters' own text code misses by one to four pixels, differently from
    /// letter to letter (it drops the left side bearing and truncates the pen), which is
    /// the uneven spacing this module fixes.
    #[test]
    fn glyphs_sit_where_the_font_puts_them() {
        assert!(crate::report::style::register());
        let text = "l.l:li!l|i.I1l";
        let (w, h) = (300u32, 40u32);
        let (dw, dh) = (w * SCALE, h * SCALE);
        let mut buf = vec![255u8; (dw * dh * 3) as usize];
        {
            let root =
                HiDpi::new(BitMapBackend::with_buffer(&mut buf, (dw, dh))).into_drawing_area();
            assert_eq!(root.dim_in_pixel(), (w, h));
            root.draw(&Text::new(
                text,
                (10, 10),
                ("sans-serif", 24.0).into_font().color(&BLACK),
            ))
            .unwrap();
            root.present().unwrap();
        }
        let found = centres(&buf, dw as usize);
        // What the font says, computed here from ab_glyph directly.
        let font = FontRef::try_from_slice(dejavu::sans::regular()).unwrap();
        let units = font.units_per_em().unwrap();
        let em = 2.0 * 24.0 / 1.24;
        let scale = PxScale::from(em * font.height_unscaled() / units);
        let sf = font.as_scaled(scale);
        let mut pen = 21.0f32; // the anchor (10, 10) at 2x, at its pixel's centre
        let mut prev = None;
        let mut expected = Vec::new();
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                pen += sf.kern(p, id);
            }
            // The glyph alone at a whole-pixel origin: its ink's centre from there.
            let g = font
                .outline_glyph(id.with_scale_and_position(scale, point(0.0, 0.0)))
                .unwrap();
            let (mut mass, mut moment) = (0.0f64, 0.0f64);
            let left = g.px_bounds().min.x;
            g.draw(|x, _, c| {
                mass += f64::from(c);
                moment += f64::from(c) * (f64::from(left) + f64::from(x) + 0.5);
            });
            expected.push(f64::from(pen) + moment / mass);
            pen += sf.h_advance(id);
            prev = Some(id);
        }
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (i, (f, e)) in found.iter().zip(&expected).enumerate() {
            assert!(
                (f - e).abs() < 0.2,
                "glyph {i} of {text:?}: ink centre {f:.2}, the font says {e:.2}"
            );
        }
    }

    /// Drawn at 2x: a filled rectangle covers the same logical pixels as at 1x (the
    /// bitmap backend's are half-open) in blocks of 2 by 2, and a 1-pixel line is two
    /// device pixels wide.
    #[test]
    fn logical_pixels_are_scale_by_scale_blocks() {
        let (w, h) = (10u32, 10u32);
        let (dw, dh) = (w * SCALE, h * SCALE);
        let mut buf = vec![255u8; (dw * dh * 3) as usize];
        {
            let root =
                HiDpi::new(BitMapBackend::with_buffer(&mut buf, (dw, dh))).into_drawing_area();
            root.draw(&Rectangle::new([(2, 2), (3, 3)], BLACK.filled()))
                .unwrap();
            root.draw(&PathElement::new(vec![(0, 7), (9, 7)], BLACK))
                .unwrap();
            root.present().unwrap();
        }
        let dark = |x: u32, y: u32| buf[((y * dw + x) * 3) as usize] < 128;
        let rows: Vec<u32> = (0..dh).filter(|&y| dark(5, y)).collect();
        assert_eq!(rows, [4, 5, 14, 15]);
        let line: Vec<u32> = (0..dh).filter(|&y| dark(15, y)).collect();
        assert_eq!(line, [14, 15]);
    }
}
