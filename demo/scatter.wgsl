// Points from storage buffers (x, y, label), pulled by vertex index. Large points are two
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
  palette: array<vec4f, 33>, // 32 component colours, then the unlabelled colour
}

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> ys: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<i32>;

struct VertexOut {
  @builtin(position) position: vec4f,
  @location(0) colour: vec3f,
  @location(1) corner: vec2f,
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
  var out: VertexOut;
  out.position = vec4f(clipPosition(i) + corner * u.halfSize, 0.0, 1.0);
  out.colour = colourOf(i);
  out.corner = corner;
  return out;
}

// Points of about one pixel: one vertex each (a point list).
@vertex
fn vsPoint(@builtin(vertex_index) i: u32) -> VertexOut {
  var out: VertexOut;
  out.position = vec4f(clipPosition(i), 0.0, 1.0);
  out.colour = colourOf(i);
  out.corner = vec2f(0.0);
  return out;
}

@fragment
fn fs(in: VertexOut) -> @location(0) vec4f {
  if (u.round > 0.5 && dot(in.corner, in.corner) > 1.0) {
    discard;
  }
  // Premultiplied alpha.
  return vec4f(in.colour * u.alpha, u.alpha);
}
