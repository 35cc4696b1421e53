// Renders the OpenAPI document as a readable reference: operations grouped by tag, with their
// parameters, request bodies and responses (schemas shown as JSON, references resolved by name).
(() => {
  const root = document.getElementById("reference");

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes ?? {})) node.setAttribute(key, value);
    for (const child of children)
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  const schemaBlock = (label, schema) =>
    el("details", {}, el("summary", {}, label), el("pre", {}, JSON.stringify(schema, null, 2)));

  function operation(method, path, op) {
    const parts = [
      el(
        "div",
        {},
        el("span", { class: "method" }, method.toUpperCase()),
        el("span", { class: "path" }, path),
      ),
      el("div", {}, op.summary ?? ""),
    ];
    for (const p of op.parameters ?? [])
      parts.push(el("div", { class: "muted" }, `${p.in} ${p.name}: ${JSON.stringify(p.schema)}`));
    for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
      parts.push(schemaBlock(`request body (${type})`, media.schema));
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      const media = Object.values(response.content ?? {})[0];
      parts.push(
        media
          ? schemaBlock(`${status}: ${response.description}`, media.schema)
          : el("div", { class: "muted" }, `${status}: ${response.description}`),
      );
    }
    return el("div", { class: "operation" }, ...parts);
  }

  fetch("/v1/openapi.json")
    .then((r) => r.json())
    .then((doc) => {
      const byTag = new Map();
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const tag = op.tags?.[0] ?? "other";
          if (!byTag.has(tag)) byTag.set(tag, []);
          byTag.get(tag).push(operation(method, `/v1${path}`, op));
        }
      }
      const sections = [...byTag].map(([tag, ops]) => el("section", {}, el("h2", {}, tag), ...ops));
      const schemas = Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) =>
        schemaBlock(name, schema),
      );
      root.replaceChildren(
        el("p", {}, doc.info.description),
        ...sections,
        el("h2", {}, "Schemas"),
        ...schemas,
      );
    });
})();
