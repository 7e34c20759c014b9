// Import specifiers in bundled ES module code that a browser could not resolve: anything not
// relative, absolute or a URL. A specifier never holds whitespace, so text in string literals
// that happens to follow `import` or `from` (minified code has plenty) is not taken for one.
export function bareSpecifiers(code: string): string[] {
  return [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"'\s]+)["']/g)]
    .map((m) => m[1] as string)
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !/^[a-z]+:/.test(s));
}
