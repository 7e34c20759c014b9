// Points from storage buffers (x, y, label, uncertainty), pulled by vertex index. Large points are two
// triangles each in one plain draw of 6·N vertices: no instancing, because software
// rasterisers (SwiftShader) run each instance as a draw of its own (measured: 200k instanced
// quads took 5-6 s a frame there, these 0.35-0.5 s).

struct Uniforms {
  centre: vec2f,    // data coordinates at the middle of the canvas
  scale: vec2f,     // data -> clip units
  halfSize: vec2f,  // half the point's size in clip units
  alpha: f32,       // opacity of one point
  round: f32,       // 1: round points (large sizes), 0: squares
  labelled: f32,    // 1: colour by label, 0: every point in the neutral colour
  uncertain: f32,   // > 0: uncertainty view, scales 1 − max p to [0, 1]; 0: off
  palette: array<vec4f, 33>, // 32 component colours, then the unlabelled colour
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> ys: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<i32>;
@group(0) @binding(4) var<storage, read> uncertainty: array<f32>;

struct VertexOut {
  @builtin(position) position: vec4f,
  @location(0) colour: vec3f,
  @location(1) corner: vec2f,
  @location(2) alpha: f32,
}

// Opacity and size factor of point i: uniform, or in the uncertainty view faint and small when
// the point's component is certain, opaque and larger when it is not (uncertaintyLook in scatter.ts).
fn look(i: u32) -> vec2f {
  if (u.uncertain <= 0.0) {
    return vec2f(u.alpha, 1.0);
  }
  let t = clamp(uncertainty[i] * u.uncertain, 0.0, 1.0);
  let low = u.alpha * 0.15;
  let high = min(0.95, u.alpha * 4.0 + 0.3);
  return vec2f(low + (high - low) * t, 1.0 + 1.5 * t);
}

// Subtracting the centre before scaling keeps the precision of points far from the origin.
fn clipPosition(i: u32) -> vec2f {
  return (vec2f(xs[i], ys[i]) - u.centre) * u.scale;
}

fn colourOf(i: u32) -> vec3f {
  var index = 32u;
  if (u.labelled > 0.5) {
    let label = labels[i];
    index = select(u32(label) % 32u, 32u, label < 0);
  }
  return u.palette[index].rgb;
}

// Points of several pixels: vertices 6·i … 6·i + 5 are the two triangles of point i's square.
@vertex
fn vsQuad(@builtin(vertex_index) vertex: u32) -> VertexOut {
  let corners = array<vec2f, 6>(vec2f(-1.0, -1.0), vec2f(1.0, -1.0), vec2f(-1.0, 1.0), vec2f(-1.0, 1.0), vec2f(1.0, -1.0), vec2f(1.0, 1.0));
  let i = vertex / 6u;
  let corner = corners[vertex % 6u];
  let l = look(i);
  var out: VertexOut;
  out.position = vec4f(clipPosition(i) + corner * u.halfSize * l.y, 0.0, 1.0);
  out.colour = colourOf(i);
  out.corner = corner;
  out.alpha = l.x;
  return out;
}

// Points of about one pixel: one vertex each (a point list).
@vertex
fn vsPoint(@builtin(vertex_index) i: u32) -> VertexOut {
  var out: VertexOut;
  out.position = vec4f(clipPosition(i), 0.0, 1.0);
  out.colour = colourOf(i);
  out.corner = vec2f(0.0);
  out.alpha = look(i).x;
  return out;
}

@fragment
fn fs(in: VertexOut) -> @location(0) vec4f {
  if (u.round > 0.5 && dot(in.corner, in.corner) > 1.0) {
    discard;
  }
  // Premultiplied alpha.
  return vec4f(in.colour * in.alpha, in.alpha);
}
