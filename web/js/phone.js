// Phone numbers as the API gives them (E.164, "+16175550123"): for people to read, and for links
// that call them.

// The number as people read it: a US or Canadian number in its national format ("(617)
// 555-0123"), as the practice's clients dial it; any other country's as given.
export function readablePhone(e164) {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : e164;
}

// The href that calls the number: the E.164, which every phone dials from anywhere.
export function telHref(e164) {
  return `tel:${e164}`;
}
