// A fetch for providers whose real endpoints are out of reach here (Google, Microsoft): it records
// each request (URL, method, headers, form body) and answers with the next prepared response.

/** One recorded request. */
export interface Recorded {
  url: string;
  method: string;
  headers: Headers;
  redirect: RequestRedirect;
  /** The form body as an object (empty for a GET). */
  form: Record<string, string>;
}

/** A recording fetch and what it recorded. */
export interface Recorder {
  fetch: typeof fetch;
  requests: Recorded[];
}

/**
 * @param answers the responses to give, in order (a function is called with the request)
 * @returns the recorder
 */
export function recordingFetch(...answers: (Response | ((request: Request) => Response))[]): Recorder {
  const requests: Recorded[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const text = request.method === "GET" ? "" : await request.clone().text();
    requests.push({
      url: request.url,
      method: request.method,
      headers: request.headers,
      redirect: request.redirect,
      form: Object.fromEntries(new URLSearchParams(text)),
    });
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`no answer prepared for ${request.method} ${request.url}`);
    return typeof answer === "function" ? answer(request) : answer;
  };
  return { fetch: fetchFn, requests };
}
