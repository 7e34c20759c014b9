// One instanced quad per point: x, y and label come from per-instance vertex buffers.

struct Uniforms {
  scale: vec2f,     // data -> clip
  offset: vec2f,
  halfSize: vec2f,  // half the point's size in clip units
  alpha: f32,       // opacity of one point
  round: f32,       // 1: round points (large sizes), 0: squares
  palette: array<vec4f, 33>, // 32 component colours, then the unlabelled colour
}

@group(0) @binding(0) var<uniform> u: Uniforms;

struct VertexOut {
  @builtin(position) position: vec4f,
  @location(0) colour: vec3f,
  @location(1) corner: vec2f,
}

@vertex
fn vs(@builtin(vertex_index) corner_index: u32, @location(0) x: f32, @location(1) y: f32, @location(2) label: i32) -> VertexOut {
  let corner = vec2f(f32(corner_index & 1u), f32(corner_index >> 1u)) * 2.0 - 1.0;
  let centre = vec2f(x, y) * u.scale + u.offset;
  var out: VertexOut;
  out.position = vec4f(centre + corner * u.halfSize, 0.0, 1.0);
  let index = select(u32(label) % 32u, 32u, label < 0);
  out.colour = u.palette[index].rgb;
  out.corner = corner;
  return out;
}

// Large N: one 1-pixel point per vertex (far cheaper than quads on software rasterisers).
@vertex
fn vsPoint(@location(0) x: f32, @location(1) y: f32, @location(2) label: i32) -> VertexOut {
  var out: VertexOut;
  out.position = vec4f(vec2f(x, y) * u.scale + u.offset, 0.0, 1.0);
  let index = select(u32(label) % 32u, 32u, label < 0);
  out.colour = u.palette[index].rgb;
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
