// The booking page (work in progress): lists the movies from the public API.
const app = document.getElementById('app');
const res = await fetch('/api/v1/movies');
const page = await res.json();
app.replaceChildren(...page.items.map((m) => {
  const p = document.createElement('p');
  p.textContent = `${m.title} (${m.duration_minutes} min, ${m.rating})`;
  return p;
}));
