// Sign-in against the Cognito user pool of config.json: USER_PASSWORD_AUTH, and the new-password
// step of an account the practice created. The ID token lives in this tab's sessionStorage.

import { config } from "./api.js";

const KEY = "portal.idToken";

async function cognito(target, body) {
  const { cognitoEndpoint } = await config();
  const response = await fetch(cognitoEndpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`,
    },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const wrong = ["NotAuthorizedException", "UserNotFoundException"].some((c) => String(data.__type || "").includes(c));
    throw new Error(wrong ? "The email or password is not right." : data.message || "Sign-in failed. Please try again.");
  }
  return data;
}

function keep(result) {
  sessionStorage.setItem(KEY, result.AuthenticationResult.IdToken);
  return { signedIn: true };
}

export async function signIn(email, password) {
  const { userPoolClientId } = await config();
  const result = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: userPoolClientId,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  if (result.ChallengeName === "NEW_PASSWORD_REQUIRED") {
    return { newPasswordRequired: true, session: result.Session, email };
  }
  return keep(result);
}

export async function setNewPassword(email, newPassword, session) {
  const { userPoolClientId } = await config();
  const result = await cognito("RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    ClientId: userPoolClientId,
    Session: session,
    ChallengeResponses: { USERNAME: email, NEW_PASSWORD: newPassword },
  });
  return keep(result);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
}

// The signed-in user, or null when there is none or the token has expired.
export function currentUser() {
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  try {
    const c = claims(token);
    if (c.exp * 1000 < Date.now() + 30_000) {
      signOut();
      return null;
    }
    const groups = Array.isArray(c["cognito:groups"]) ? c["cognito:groups"] : [c["cognito:groups"]].filter(Boolean);
    return { token, email: c.email, staff: groups.includes("staff") };
  } catch {
    signOut();
    return null;
  }
}
