// Sign-in against a Cognito user pool of config.json: the clients' (the portal) or the staff's
// (the staff page, which requires an authenticator app). USER_PASSWORD_AUTH, then whatever the
// pool asks: a new password for an account the practice created, setting up an authenticator
// (MFA_SETUP: AssociateSoftwareToken, VerifySoftwareToken), or its code (SOFTWARE_TOKEN_MFA).
// The ID token lives in this tab's sessionStorage, one key per pool.

import { config } from "./api.js";

const POOLS = {
  client: { key: "portal.idToken", clientId: (c) => c.userPoolClientId },
  staff: { key: "staff.idToken", clientId: (c) => c.staffUserPoolClientId },
};

// What a person is told for Cognito's refusals, by sign-in step.
const WRONG_PASSWORD = "The email or password is not right.";
const WRONG_CODE = "That code is not right. Enter the 6-digit code your authenticator app shows now.";
const SESSION_OVER = "Signing in took too long, or had too many wrong codes. Please sign in again.";

export class SignInError extends Error {
  constructor(message, { restart = false } = {}) {
    super(message);
    this.restart = restart; // the sign-in must start again from the password
  }
}

async function cognito(target, body, refusals) {
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
    const type = String(data.__type || "").split("#").pop();
    const known = refusals[type];
    if (known) throw new SignInError(known.message, known);
    throw new SignInError(data.message || "Sign-in failed. Please try again.");
  }
  return data;
}

const PASSWORD_STEP = {
  NotAuthorizedException: { message: WRONG_PASSWORD },
  UserNotFoundException: { message: WRONG_PASSWORD },
};
const CODE_STEP = {
  CodeMismatchException: { message: WRONG_CODE },
  EnableSoftwareTokenMFAException: { message: WRONG_CODE },
  NotAuthorizedException: { message: SESSION_OVER, restart: true },
  ExpiredCodeException: { message: SESSION_OVER, restart: true },
};

export function account(kind) {
  const pool = POOLS[kind];

  function keep(result, email) {
    if (result.AuthenticationResult) {
      sessionStorage.setItem(pool.key, result.AuthenticationResult.IdToken);
      return { signedIn: true };
    }
    const step = { session: result.Session, email };
    switch (result.ChallengeName) {
      case "NEW_PASSWORD_REQUIRED": return { ...step, newPasswordRequired: true };
      case "MFA_SETUP": return { ...step, authenticatorSetup: true };
      case "SOFTWARE_TOKEN_MFA": return { ...step, codeRequired: true };
      default: throw new SignInError("This account cannot sign in here. Please contact the practice.");
    }
  }

  async function respond(challenge, step, responses, refusals = CODE_STEP) {
    const result = await cognito("RespondToAuthChallenge", {
      ChallengeName: challenge,
      ClientId: pool.clientId(await config()),
      Session: step.session,
      ChallengeResponses: { USERNAME: step.email, ...responses },
    }, refusals);
    return keep(result, step.email);
  }

  return {
    async signIn(email, password) {
      const result = await cognito("InitiateAuth", {
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: pool.clientId(await config()),
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }, PASSWORD_STEP);
      return keep(result, email);
    },

    setNewPassword(step, newPassword) {
      return respond("NEW_PASSWORD_REQUIRED", step, { NEW_PASSWORD: newPassword }, {});
    },

    // MFA_SETUP: the secret of a new authenticator; the step carries on with a new session.
    async newAuthenticator(step) {
      const result = await cognito("AssociateSoftwareToken", { Session: step.session }, CODE_STEP);
      return { secret: result.SecretCode, step: { ...step, session: result.Session } };
    },

    // A code of the new authenticator proves it is set up; then the sign-in completes.
    async verifyAuthenticator(step, code) {
      const verified = await cognito("VerifySoftwareToken", {
        Session: step.session, UserCode: code, FriendlyDeviceName: "Authenticator app",
      }, CODE_STEP);
      return respond("MFA_SETUP", { ...step, session: verified.Session }, {});
    },

    answerCode(step, code) {
      return respond("SOFTWARE_TOKEN_MFA", step, { SOFTWARE_TOKEN_MFA_CODE: code });
    },

    signOut() {
      sessionStorage.removeItem(pool.key);
    },

    // The signed-in user, or null when there is none or the token has expired.
    currentUser() {
      const token = sessionStorage.getItem(pool.key);
      if (!token) return null;
      try {
        const c = claims(token);
        if (c.exp * 1000 < Date.now() + 30_000) {
          this.signOut();
          return null;
        }
        const groups = Array.isArray(c["cognito:groups"]) ? c["cognito:groups"] : [c["cognito:groups"]].filter(Boolean);
        return { token, email: c.email, staff: groups.includes("staff") };
      } catch {
        this.signOut();
        return null;
      }
    },
  };
}

function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
}

// The portal signs clients in.
const client = account("client");
export const signIn = (email, password) => client.signIn(email, password);
export const setNewPassword = (email, newPassword, session) => client.setNewPassword({ email, session }, newPassword);
export const signOut = () => client.signOut();
export const currentUser = () => client.currentUser();
